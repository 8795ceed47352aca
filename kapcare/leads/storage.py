from pathlib import Path

from django.conf import settings
from django.core.files.storage import FileSystemStorage


class PrivateStorage(FileSystemStorage):
    """Files that hold health information (insurance card photos): under VAR_DIR/private, never
    served as static or media files, only through a view that checks who is asking."""

    @property
    def base_location(self):
        return Path(settings.VAR_DIR) / "private"

    @property
    def location(self):
        return str(self.base_location)

    @property
    def base_url(self):
        return None


private_storage = PrivateStorage()
