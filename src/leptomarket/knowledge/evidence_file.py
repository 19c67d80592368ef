"""Load an optional evidence file of an indication package against its pydantic schema."""

from __future__ import annotations

from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel, ValidationError

from leptomarket.errors import InputError
from leptomarket.knowledge.safe_yaml import load_yaml

Model = TypeVar("Model", bound=BaseModel)


def load_evidence_file(path: Path, model: type[Model]) -> Model | None:
    """The validated file, or ``None`` when the package has none.

    Raises
    ------
    InputError
        Naming the file, the first invalid key path and the reason.
    """
    if not path.exists():
        return None
    try:
        return model.model_validate(load_yaml(path))
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(part) for part in first["loc"]) or "(file)"
        raise InputError(path, field, first["msg"]) from exc
