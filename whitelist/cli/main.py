"""The ``whitelist`` console script: registers the commands and owns the error boundary."""

from __future__ import annotations

import logging

import click
import typer
from typer.core import TyperGroup

from whitelist import __version__
from whitelist.cli import demo, explain, features, generate, predict, promote, score, serve, train, validate
from whitelist.cli.ui import err_console
from whitelist.core.errors import WhitelistError


class _Boundary(TyperGroup):
    """The one place a WhitelistError becomes a red message and exit code 1."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except WhitelistError as exc:
            err_console.print(f"[bold red]error:[/bold red] {exc}", highlight=False, soft_wrap=True)
            raise typer.Exit(code=1) from None


app = typer.Typer(
    cls=_Boundary,
    name="whitelist",
    help="Find small and micro enterprises a bank can pre-approve, from shared government data.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.command("generate")(generate.generate)
app.command("validate")(validate.validate)
app.command("features")(features.features)
app.command("train")(train.train)
app.command("promote")(promote.promote)
app.command("predict")(predict.predict)
app.command("score")(score.score)
app.command("explain")(explain.explain)
app.command("report")(explain.report)
app.command("serve")(serve.serve)
app.command("serve-key")(serve.serve_key)
app.command("qr-tokens")(serve.qr_tokens)
app.command("log-digest")(serve.log_digest)
app.command("demo")(demo.demo)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"whitelist {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Log progress details."),
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Show the version."),
) -> None:
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    from whitelist.core.runtime import reuse_freed_memory

    reuse_freed_memory()


def main() -> None:
    """Entry point of the console script."""
    app()
