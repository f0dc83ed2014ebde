"""The ground floor: database base class and types, clock, domain errors, settings."""
