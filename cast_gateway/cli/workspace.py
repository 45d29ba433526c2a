"""`workspace`, `secret` and `token` commands."""

from __future__ import annotations

import argparse
import json
from typing import Any

from .context import operations, read_bundle, read_secret_value, run

__all__ = ["register"]


def register(subcommands: Any) -> None:
    workspace = subcommands.add_parser("workspace", help="create workspaces, replace their specs and delete them")
    actions = workspace.add_subparsers(dest="action", required=True, metavar="ACTION")

    create = actions.add_parser("create", help="create a workspace from an OpenAPI spec")
    create.add_argument("workspace_id", metavar="ID")
    create.add_argument("--spec", required=True, help="the OpenAPI document (JSON or YAML)")
    create.add_argument("--spec-file", action="append", default=[], metavar="FILE",
                        help="another file of the spec that a relative $ref names (repeatable)")
    create.add_argument("--base-url", help="upstream base URL; default: the spec's first server")
    create.set_defaults(handler=create_workspace)

    upload = actions.add_parser("upload-spec", help="replace a workspace's spec (validated before it is stored)")
    upload.add_argument("workspace_id", metavar="ID")
    upload.add_argument("--spec", required=True)
    upload.add_argument("--spec-file", action="append", default=[], metavar="FILE")
    upload.set_defaults(handler=upload_spec)

    delete = actions.add_parser("delete", help="delete a workspace (its tokens stop working at once)")
    delete.add_argument("workspace_id", metavar="ID")
    delete.set_defaults(handler=delete_workspace)

    secret = subcommands.add_parser("secret", help="set or delete a workspace's upstream credentials")
    secret_actions = secret.add_subparsers(dest="action", required=True, metavar="ACTION")
    secret_set = secret_actions.add_parser(
        "set", help="set the credential of a security scheme; the value is read from stdin or --value-file"
    )
    secret_set.add_argument("workspace_id", metavar="WORKSPACE")
    secret_set.add_argument("scheme", metavar="SCHEME", help="the security scheme's name in the spec")
    secret_set.add_argument("--value-file", help="read the value from this file instead of standard input")
    secret_set.set_defaults(handler=set_secret)
    secret_delete = secret_actions.add_parser("delete", help="delete a credential")
    secret_delete.add_argument("workspace_id", metavar="WORKSPACE")
    secret_delete.add_argument("scheme", metavar="SCHEME")
    secret_delete.set_defaults(handler=delete_secret)

    token = subcommands.add_parser("token", help="create or revoke MCP client tokens")
    token_actions = token.add_subparsers(dest="action", required=True, metavar="ACTION")
    token_create = token_actions.add_parser("create", help="create a client token; it is printed once and never again")
    token_create.add_argument("workspace_id", metavar="WORKSPACE")
    token_create.add_argument("--label", default="", help="a note to tell tokens apart")
    token_create.set_defaults(handler=create_token)
    token_revoke = token_actions.add_parser("revoke", help="revoke a client token by its id")
    token_revoke.add_argument("workspace_id", metavar="WORKSPACE")
    token_revoke.add_argument("token_id", metavar="TOKEN_ID")
    token_revoke.set_defaults(handler=revoke_token)


def create_workspace(args: argparse.Namespace) -> int:
    bundle = read_bundle(args.spec, args.spec_file)

    async def main() -> tuple[Any, Any]:
        async with operations(args) as ops:
            created: tuple[Any, Any] = await ops.create_workspace(args.workspace_id, bundle, base_url=args.base_url)
            return created

    _record, compiled = run(main())
    count = len(compiled.tools)
    print(f"workspace {args.workspace_id} created with {count} tool{'' if count == 1 else 's'}")
    for warning in compiled.warnings:
        print(f"warning: {warning}")
    return 0


def upload_spec(args: argparse.Namespace) -> int:
    bundle = read_bundle(args.spec, args.spec_file)

    async def main() -> Any:
        async with operations(args) as ops:
            return await ops.upload_spec(args.workspace_id, bundle)

    change, _compiled = run(main())
    print(json.dumps({"added": list(change.added), "removed": list(change.removed), "changed": list(change.changed)}))
    return 0


def delete_workspace(args: argparse.Namespace) -> int:
    async def main() -> bool:
        async with operations(args) as ops:
            return bool(await ops.delete_workspace(args.workspace_id))

    if not run(main()):
        raise LookupError(f"workspace {args.workspace_id!r} not found")
    print(f"workspace {args.workspace_id} deleted")
    return 0


def set_secret(args: argparse.Namespace) -> int:
    value = read_secret_value(args.value_file)

    async def main() -> None:
        async with operations(args) as ops:
            await ops.set_secret(args.workspace_id, args.scheme, value)

    run(main())
    print(f"secret {args.scheme} of workspace {args.workspace_id} set")
    return 0


def delete_secret(args: argparse.Namespace) -> int:
    async def main() -> bool:
        async with operations(args) as ops:
            return bool(await ops.delete_secret(args.workspace_id, args.scheme))

    if not run(main()):
        raise LookupError(f"secret {args.scheme!r} of workspace {args.workspace_id!r} not found")
    print(f"secret {args.scheme} of workspace {args.workspace_id} deleted")
    return 0


def create_token(args: argparse.Namespace) -> int:
    async def main() -> tuple[Any, str]:
        async with operations(args) as ops:
            issued: tuple[Any, str] = await ops.create_token(args.workspace_id, args.label)
            return issued

    record, token = run(main())
    print(json.dumps({"token_id": record.id, "token": token}))
    return 0


def revoke_token(args: argparse.Namespace) -> int:
    async def main() -> bool:
        async with operations(args) as ops:
            return bool(await ops.revoke_token(args.workspace_id, args.token_id))

    if not run(main()):
        raise LookupError(f"token {args.token_id!r} of workspace {args.workspace_id!r} not found or already revoked")
    print(f"token {args.token_id} revoked")
    return 0
