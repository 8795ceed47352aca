from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "kapcare.audit"
    label = "audit"
    verbose_name = "Audit trail"
    staff_nav = [("Audit log", "audit:log", "audit.view")]
