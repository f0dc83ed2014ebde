"""The catalogue (categories, types, assets, kits), borrowers' qualifications and reservations."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
import sqlalchemy.orm as so
from sqlalchemy.dialects import postgresql

from straxlab.auth.models import User
from straxlab.core.db import enum_type
from straxlab.equipment.rules import AssetStatus, ReservationStatus
from straxlab.extensions import Model


class Category(Model):
    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    name: so.Mapped[str] = so.mapped_column(sa.String(80), unique=True)
    description: so.Mapped[str] = so.mapped_column(sa.Text, default="")

    types: so.WriteOnlyMapped[EquipmentType] = so.relationship(back_populates="category")

    def __repr__(self) -> str:
        return f"<Category {self.id} {self.name}>"


class EquipmentType(Model):
    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    category_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("category.id"), index=True)
    name: so.Mapped[str] = so.mapped_column(sa.String(120), unique=True)
    description: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    # A file name under the instance's upload folder; the image was re-encoded on upload.
    photo: so.Mapped[str | None] = so.mapped_column(sa.String(64))
    needs_approval: so.Mapped[bool] = so.mapped_column(default=False)
    turnaround_minutes: so.Mapped[int] = so.mapped_column(default=0)
    max_loan_days: so.Mapped[int] = so.mapped_column(default=7)
    max_advance_days: so.Mapped[int] = so.mapped_column(default=90)
    # The qualification a borrower must have on file (e.g. "Drone pilot A1/A3"), if any.
    required_qualification: so.Mapped[str | None] = so.mapped_column(sa.String(80))
    # Recording devices: check-in asks whether the memory card was wiped (students' data).
    holds_recordings: so.Mapped[bool] = so.mapped_column(default=False)
    is_retired: so.Mapped[bool] = so.mapped_column(default=False)

    category: so.Mapped[Category] = so.relationship(back_populates="types", lazy="joined")

    __table_args__ = (
        sa.CheckConstraint("turnaround_minutes >= 0", name="turnaround_not_negative"),
        sa.CheckConstraint("max_loan_days >= 1", name="max_loan_days_positive"),
        sa.CheckConstraint("max_advance_days >= 1", name="max_advance_days_positive"),
    )

    def __repr__(self) -> str:
        return f"<EquipmentType {self.id} {self.name}>"


class Asset(Model):
    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    equipment_type_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("equipment_type.id"), index=True
    )
    tag: so.Mapped[str] = so.mapped_column(sa.String(32), unique=True)
    serial_number: so.Mapped[str] = so.mapped_column(sa.String(64), default="")
    status: so.Mapped[AssetStatus] = so.mapped_column(
        enum_type(AssetStatus, "asset_status"), default=AssetStatus.AVAILABLE
    )
    condition_note: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    created_at: so.Mapped[datetime]

    equipment_type: so.Mapped[EquipmentType] = so.relationship(lazy="joined")

    def __repr__(self) -> str:
        return f"<Asset {self.id} {self.tag} {self.status.value}>"


class Kit(Model):
    """A bundle reserved and handed out as one: a drone kit is a drone, two batteries, a case."""

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    name: so.Mapped[str] = so.mapped_column(sa.String(120), unique=True)
    description: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    is_retired: so.Mapped[bool] = so.mapped_column(default=False)

    components: so.Mapped[list[KitComponent]] = so.relationship(
        back_populates="kit",
        cascade="all, delete-orphan",
        order_by="KitComponent.equipment_type_id",
        lazy="selectin",
    )

    def __repr__(self) -> str:
        return f"<Kit {self.id} {self.name}>"


class KitComponent(Model):
    kit_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("kit.id"), primary_key=True)
    equipment_type_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("equipment_type.id"), primary_key=True
    )
    quantity: so.Mapped[int] = so.mapped_column(default=1)

    kit: so.Mapped[Kit] = so.relationship(back_populates="components")
    equipment_type: so.Mapped[EquipmentType] = so.relationship(lazy="joined")

    __table_args__ = (sa.CheckConstraint("quantity >= 1", name="quantity_positive"),)

    def __repr__(self) -> str:
        return f"<KitComponent kit={self.kit_id} type={self.equipment_type_id} x{self.quantity}>"


class Qualification(Model):
    """A certificate a borrower has shown to lab staff, such as a drone pilot licence."""

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    user_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("user.id"), index=True)
    kind: so.Mapped[str] = so.mapped_column(sa.String(80))
    valid_until: so.Mapped[date | None]
    checked_by_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("user.id"))
    checked_at: so.Mapped[datetime]
    note: so.Mapped[str] = so.mapped_column(sa.Text, default="")

    user: so.Mapped[User] = so.relationship(foreign_keys=[user_id], lazy="joined")

    def __repr__(self) -> str:
        return f"<Qualification {self.id} {self.kind} user={self.user_id}>"


class Reservation(Model):
    """A request for a quantity of one equipment type, or of one kit, for one period."""

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    requester_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("user.id"))
    equipment_type_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("equipment_type.id"), index=True
    )
    kit_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("kit.id"), index=True)
    quantity: so.Mapped[int] = so.mapped_column(default=1)
    purpose: so.Mapped[str] = so.mapped_column(sa.Text)
    starts_at: so.Mapped[datetime]
    ends_at: so.Mapped[datetime]
    status: so.Mapped[ReservationStatus] = so.mapped_column(
        enum_type(ReservationStatus, "reservation_status"), default=ReservationStatus.PENDING
    )
    created_at: so.Mapped[datetime]
    created_by_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("user.id"))
    updated_at: so.Mapped[datetime]
    # Bumped by every change (``services.touch``): the iCal SEQUENCE of this reservation.
    sequence: so.Mapped[int] = so.mapped_column(default=0, server_default="0")
    decided_by_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("user.id"))
    decided_at: so.Mapped[datetime | None]
    decision_note: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    # Why staff let this reservation past a limit (quota, loan length, opening hours).
    override_reason: so.Mapped[str] = so.mapped_column(sa.Text, default="")

    requester: so.Mapped[User] = so.relationship(foreign_keys=[requester_id], lazy="joined")
    equipment_type: so.Mapped[EquipmentType | None] = so.relationship(lazy="joined")
    kit: so.Mapped[Kit | None] = so.relationship(lazy="joined")
    items: so.Mapped[list[ReservationItem]] = so.relationship(
        back_populates="reservation",
        cascade="all, delete-orphan",
        order_by="ReservationItem.id",
        lazy="selectin",
    )

    __table_args__ = (
        sa.CheckConstraint("starts_at < ends_at", name="starts_before_end"),
        sa.CheckConstraint("quantity >= 1", name="quantity_positive"),
        sa.CheckConstraint("(equipment_type_id IS NULL) <> (kit_id IS NULL)", name="type_or_kit"),
        sa.Index("ix_reservation_requester_starts", "requester_id", "starts_at"),
        sa.Index("ix_reservation_status_starts", "status", "starts_at"),
    )

    def __repr__(self) -> str:
        return f"<Reservation {self.id} {self.status.value} {self.starts_at}-{self.ends_at}>"

    @property
    def is_active(self) -> bool:
        from straxlab.equipment.rules import ACTIVE_STATUSES

        return self.status in ACTIVE_STATUSES

    @property
    def title(self) -> str:
        """ "2 × Zoom H5 recorder" or "Drone kit"."""
        name = (
            self.kit.name if self.kit else self.equipment_type.name if self.equipment_type else ""
        )
        return f"{self.quantity} × {name}" if self.quantity > 1 else name


class ReservationItem(Model):
    """One concrete asset held by a reservation, and the loan of it at the desk.

    ``starts_at``/``blocked_until`` copy the reservation's period plus the type's turnaround,
    and ``is_active`` is true while the asset is held, so that the database itself can refuse
    overlaps (PostgreSQL exclusion constraint, created in the migration).
    """

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    reservation_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("reservation.id"), index=True)
    asset_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("asset.id"))
    starts_at: so.Mapped[datetime]
    blocked_until: so.Mapped[datetime]
    is_active: so.Mapped[bool] = so.mapped_column(default=True)
    checked_out_at: so.Mapped[datetime | None]
    checked_out_by_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("user.id"))
    condition_out: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    returned_at: so.Mapped[datetime | None]
    returned_by_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("user.id"))
    condition_in: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    damage_report: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    card_wiped: so.Mapped[bool | None]

    reservation: so.Mapped[Reservation] = so.relationship(back_populates="items")
    asset: so.Mapped[Asset] = so.relationship(lazy="joined")

    __table_args__ = (
        sa.CheckConstraint("starts_at < blocked_until", name="starts_before_blocked_until"),
        # The overlap query: one asset's active items, bounded on both sides by starts_at.
        sa.Index("ix_reservation_item_asset_starts", "asset_id", "starts_at"),
        # Gear that is out now, however long ago it left: few rows, found without the history.
        sa.Index(
            "ix_reservation_item_out",
            "asset_id",
            sqlite_where=sa.text("is_active = 1 AND checked_out_at IS NOT NULL"),
            postgresql_where=sa.text("is_active AND checked_out_at IS NOT NULL"),
        ),
        postgresql.ExcludeConstraint(
            ("asset_id", "="),
            (sa.text("tstzrange(starts_at, blocked_until, '[)')"), "&&"),
            where=sa.text("is_active"),
            using="gist",
            name="ex_reservation_item_no_overlap",
        ).ddl_if(dialect="postgresql"),
    )

    def __repr__(self) -> str:
        return f"<ReservationItem {self.id} asset={self.asset_id} active={self.is_active}>"
