"""Signed means frozen (design.md): the one place that says how a signed record refuses change.

Two shapes, used by every app that keeps signed records:

- `WrittenOnce`: the record is signed as it is written (a decision, a plan, an addendum, a consent
  signature), so saving it again or deleting it is refused.
- `FrozenOnceSigned`: the record is a draft until someone signs it (a progress note, an evaluation
  a decision rests on); once the column named by `signed_field` is set in the database, saving or
  deleting is refused. The database is asked, not the instance, so a stale copy cannot slip through.

`RefusesBulkChange` is for the queryset of written-once records: `update()` and `delete()` would
skip `save()`, so they are refused too. Corrections are addenda that keep the original.

These are abstract and know no clinical domain; the wording comes from each model.
"""

from django.db import models


class Frozen(Exception):
    """A signed record was about to change; corrections are addenda that keep the original."""


class RefusesBulkChange:
    """Mix into a QuerySet of signed records, before the QuerySet class."""

    def update(self, **kwargs):
        raise Frozen("Signed records cannot be changed; add an addendum.")

    def delete(self):
        raise Frozen("Signed records cannot be deleted.")


class WrittenOnce(models.Model):
    """A record signed as it is written: never saved twice, never deleted."""

    frozen_message = "This record is signed and cannot be changed; add an addendum."
    undeletable_message = "This record is signed and cannot be deleted."

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise Frozen(self.frozen_message.format(name=self._meta.verbose_name))
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise Frozen(self.undeletable_message.format(name=self._meta.verbose_name))


class FrozenOnceSigned(models.Model):
    """A draft until signed; frozen from the moment `signed_field` is set in the database."""

    signed_field = "signed_at"
    frozen_message = "This record is signed and cannot be changed; add an addendum."
    undeletable_message = "This record is signed and cannot be deleted."
    # Some records (a progress note) are part of the record even as drafts.
    deletable_draft = True

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if self.signed_in_database():
            raise Frozen(self.frozen_message.format(name=self._meta.verbose_name))
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        if not self.deletable_draft or self.signed_in_database():
            raise Frozen(self.undeletable_message.format(name=self._meta.verbose_name))
        return super().delete(*args, **kwargs)

    def signed_in_database(self) -> bool:
        if self.pk is None:
            return False
        lookup = {"pk": self.pk, f"{self.signed_field}__isnull": False}
        return type(self)._base_manager.filter(**lookup).exists()
