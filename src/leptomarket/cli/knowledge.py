"""``leptomarket validate`` and ``leptomarket sources``: check inputs, trace numbers to sources."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from leptomarket.cli.common import console, err_console, handle_errors
from leptomarket.cli.main import app
from leptomarket.errors import InputError
from leptomarket.knowledge.loader import collect, indication_root
from leptomarket.knowledge.model import Knowledge, Parameter
from leptomarket.scenarios.scenario import scenario_issues

IndicationArg = Annotated[
    str, typer.Option("--indication", help="Bundled indication name or path to a data package.")
]


@app.command()
@handle_errors
def validate(
    strict: Annotated[bool, typer.Option("--strict", help="Treat warnings as errors.")] = False,
    indication: IndicationArg = "lm",
) -> None:
    """Check the indication's data: schema, sources, domains, distributions, share sums,
    levers and bundled scenarios."""
    knowledge, issues = collect(indication_root(indication))
    if knowledge is not None and not any(i.level == "error" for i in issues):
        # Levers and bundled scenarios: anything a forecast would refuse.
        issues = [*issues, *scenario_issues(knowledge)]
    errors = [i for i in issues if i.level == "error"]
    warnings = [i for i in issues if i.level == "warning"]
    for issue in issues:
        colour = "red" if issue.level == "error" or strict else "yellow"
        err_console.print(Text(str(issue), style=colour), highlight=False, soft_wrap=True)
    failed = bool(errors) or (strict and bool(warnings))
    if knowledge is not None:
        n_rows = sum(len(p.rows) for p in knowledge.parameters.values())
        console.print(
            f"{knowledge.indication.title}: {len(knowledge.parameters)} parameters, "
            f"{n_rows} sourced values, {len(knowledge.sources)} sources; "
            f"{len(errors)} error(s), {len(warnings)} warning(s)"
            f"{' (strict)' if strict else ''}."
        )
    if failed:
        raise typer.Exit(code=1)


def _parameter_table(knowledge: Knowledge, parameter: Parameter) -> Table:
    spec = parameter.spec
    table = Table(
        title=Text(f"{parameter.name} — {spec.description} [{spec.unit}; {spec.distribution}]"),
        title_justify="left",
        header_style="bold",
    )
    for column in ("labels", "value", "low", "high", "year", "source / assumption"):
        table.add_column(column)
    for row in parameter.rows:
        labels = ", ".join(f"{k}={v}" for k, v in row.labels().items()) or "(all)"
        provenance = []
        for key in parameter.sources_of(row):
            source = knowledge.sources.get(key)
            if source is None:
                provenance.append(f"{key} (MISSING)")
            else:
                provenance.append(
                    f"{source.authors} ({source.year}) {source.title}. {source.publisher}. "
                    f"{source.url or source.doi}"
                )
        assumption = parameter.assumption_of(row)
        if assumption:
            provenance.append(f"ASSUMPTION: {assumption}")
        if row.note:
            provenance.append(f"note: {row.note}")
        cells = (
            labels,
            f"{row.value:g}",
            "" if row.low is None else f"{row.low:g}",
            "" if row.high is None else f"{row.high:g}",
            "" if row.year is None else str(row.year),
            "\n".join(provenance),
        )
        table.add_row(*(Text(cell) for cell in cells))
    return table


@app.command()
@handle_errors
def sources(
    parameter: Annotated[
        str | None, typer.Argument(help="Parameter name (e.g. epidemiology.lm_risk) or a prefix.")
    ] = None,
    indication: IndicationArg = "lm",
) -> None:
    """What a number is and where it comes from (all parameters when none is named)."""
    knowledge, issues = collect(indication_root(indication))
    if knowledge is None:
        for issue in issues:
            err_console.print(Text(str(issue)), highlight=False, soft_wrap=True)
        raise typer.Exit(code=1)
    if parameter is None:
        table = Table(title=Text(f"{knowledge.indication.title}: parameters"), header_style="bold")
        for column in ("parameter", "unit", "dimensions", "distribution", "values", "assumptions"):
            table.add_column(column)
        for p in knowledge.parameters.values():
            assumed = sum(1 for r in p.rows if p.assumption_of(r))
            cells = (
                p.name,
                p.spec.unit,
                ", ".join(p.dims) or "-",
                p.spec.distribution,
                str(len(p.rows)),
                str(assumed),
            )
            table.add_row(*(Text(cell) for cell in cells))
        console.print(table)
        console.print("[dim]Name a parameter to see its values and sources.[/dim]")
        return
    matches = [p for name, p in knowledge.parameters.items() if name == parameter] or [
        p for name, p in knowledge.parameters.items() if name.startswith(parameter)
    ]
    if not matches:
        raise InputError(
            None,
            "parameter",
            f"no parameter named '{parameter}'. Known: " + ", ".join(knowledge.parameters),
        )
    for match in matches:
        console.print(_parameter_table(knowledge, match))
