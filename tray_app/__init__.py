"""RoleTray: assume AWS IAM roles from the system tray."""

__version__ = "0.1.0"
