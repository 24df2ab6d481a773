"""The base of every config section: a leaf module, so a stage's config imports nothing back from curate.config."""
from pydantic import BaseModel, ConfigDict


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True, serialize_by_alias=True)
