"""Calendar feeds (iCal): subscription links with a per-user token, and downloads."""
