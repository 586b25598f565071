"""``python -m nnext``: print what this installation is (see `nnext.show_config`)."""
from .config import show_config

show_config()
