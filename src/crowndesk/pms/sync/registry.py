"""Every mirrored entity, in dependency order (ARCHITECTURE.md, "The sync engine")."""

from __future__ import annotations

from crowndesk.core.errors import NotFound
from crowndesk.pms.opendental.mapping import SPECS
from crowndesk.pms.sync.spec import EntitySpec


def _in_dependency_order(specs: tuple[EntitySpec, ...]) -> tuple[EntitySpec, ...]:
    by_name = {spec.name: spec for spec in specs}
    ordered: dict[str, EntitySpec] = {}

    def visit(spec: EntitySpec, path: tuple[str, ...]) -> None:
        if spec.name in ordered:
            return
        if spec.name in path:
            raise ValueError(f"dependency cycle: {' -> '.join((*path, spec.name))}")
        for name in spec.dependencies:
            if name not in by_name:
                raise ValueError(f"{spec.name} depends on unknown entity {name}")
            visit(by_name[name], (*path, spec.name))
        ordered[spec.name] = spec

    for spec in specs:
        visit(spec, ())
    return tuple(ordered.values())


ENTITIES: tuple[EntitySpec, ...] = _in_dependency_order(SPECS)
ENTITY_NAMES: tuple[str, ...] = tuple(spec.name for spec in ENTITIES)
_BY_NAME = {spec.name: spec for spec in ENTITIES}


class UnknownEntity(NotFound):
    def __init__(self, name: str) -> None:
        super().__init__(f"Unknown entity {name!r}. Known: {', '.join(ENTITY_NAMES)}.")


def spec_for(name: str) -> EntitySpec:
    try:
        return _BY_NAME[name]
    except KeyError:
        raise UnknownEntity(name) from None
