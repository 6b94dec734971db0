"""Instance layer: schema, validation, series resolution, pandas tables.

Public API::

    from instances import load_instance, instance_from_dict, load_default, InputError
"""

from instances.errors import InputError, Issue
from instances.instance import Instance
from instances.load import (
    default_instance_dict,
    instance_from_dict,
    load_default,
    load_instance,
    read_json,
    read_raw,
)
from instances.overrides import apply_overrides, set_path, valid_paths

__all__ = [
    "InputError",
    "Issue",
    "Instance",
    "load_instance",
    "instance_from_dict",
    "load_default",
    "default_instance_dict",
    "read_json",
    "read_raw",
    "apply_overrides",
    "set_path",
    "valid_paths",
]
