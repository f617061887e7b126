"""The Milvus commands of ``python -m index``: publish, rebuild, ingest, pull, merge-stats and
recount, and the options that lay out a collection on a cluster
(:class:`index.stores.milvus.MilvusConfig`)."""

from __future__ import annotations

import json
from pathlib import Path


def add_milvus_commands(sub) -> None:
    from index.paths import default_index_dir

    p = sub.add_parser("publish", help="serve an existing index from Milvus (no rebuild)")
    p.add_argument("--index", type=Path, default=None)
    p.add_argument("--uri", required=True, help="Milvus endpoint, as for build --uri")
    p.add_argument("--collection", default=None, help="as for build --collection")
    cluster_options(p)
    p = sub.add_parser("rebuild", help="write the Milvus collection of an index again, whole "
                       "(BM25 averages refreshed; a new layout with the options below)")
    p.add_argument("--index", type=Path, default=None)
    cluster_options(p)
    p = sub.add_parser("ingest", help="one of several workers feeding a Milvus collection "
                       "(index.ingest): its share of the files, in batches")
    p.add_argument("sources", nargs="+", metavar="SRC")
    p.add_argument("--uri", required=True, help="milvus://HOST:PORT/COLLECTION (or --collection)")
    p.add_argument("--collection", default=None)
    p.add_argument("--worker", default="1/1", metavar="K/N",
                   help="this worker is K of N (default 1/1: every file)")
    p.add_argument("--model", default="default", help="as for build --model")
    p.add_argument("--access", default=None, metavar="GROUP[,GROUP]")
    p.add_argument("--no-cache", action="store_true")
    p.add_argument("--follow-links", action="store_true")
    p.add_argument("--to-files", type=Path, default=None, metavar="DIR",
                   help="write files for Milvus's bulk import into DIR instead of inserting "
                        "(docs/scale-out.md); then `index merge-stats DIR`")
    cluster_options(p)
    p = sub.add_parser("merge-stats", help="merge the statistics of `ingest --to-files` "
                       "workers into the collection, once (after the bulk import)")
    p.add_argument("folder", type=Path, metavar="DIR")
    p.add_argument("--uri", required=True, help="milvus://HOST:PORT/COLLECTION (or --collection)")
    p.add_argument("--collection", default=None)
    p = sub.add_parser("recount", help="count a collection's BM25 statistics again from its "
                       "rows (a repair)")
    p.add_argument("--uri", required=True, help="milvus://HOST:PORT/COLLECTION (or --collection)")
    p.add_argument("--collection", default=None)
    p = sub.add_parser("pull", help="make or update a search host's index folder from a Milvus "
                       "collection (index.ingest)")
    p.add_argument("--uri", required=True, help="milvus://HOST:PORT/COLLECTION (or --collection)")
    p.add_argument("--collection", default=None)
    p.add_argument("--out", type=Path, default=None,
                   help=f"index folder (default: {default_index_dir()})")
    p.add_argument("--every", type=float, default=None, metavar="SECONDS",
                   help="pull again every SECONDS, until interrupted")


def index_dir_of(args) -> Path:
    from index.paths import default_index_dir

    return args.index or default_index_dir()


def publish_command(args) -> None:
    from index.build import publish

    index_dir = index_dir_of(args)
    args.backend = "milvus"
    milvus = milvus_of(args, index_dir)
    publish(index_dir, milvus)
    print(f"{index_dir} is now served by Milvus at {milvus.uri}, collection "
          f"{milvus.collection}.")


def rebuild_command(args) -> None:
    from index.build import rebuild

    index_dir = index_dir_of(args)
    rebuild(index_dir, config_of(args))
    print(f"The Milvus collection of {index_dir} was written again.")


def served_command(args) -> int:
    """``ingest``, ``pull``, ``merge-stats`` and ``recount``: the collection is named by the URI
    or --collection."""
    from index.ingest import (
        export,
        follow,
        ingest,
        merge_statistics,
        parse_worker,
        pull,
    )
    from index.stores.milvus import MilvusConfig, MilvusStore, parse_index_uri

    uri, named = parse_index_uri(args.uri)
    if not (args.collection or named):
        raise ValueError("name the collection: --uri milvus://HOST:PORT/COLLECTION or "
                         "--collection NAME")
    store = MilvusStore(uri, args.collection or named,
                        config=(config_of(args) if args.command == "ingest" else None)
                        or MilvusConfig())
    try:
        if args.command == "ingest":
            worker, workers = parse_worker(args.worker)
            options = dict(model=args.model, use_cache=not args.no_cache,
                           follow_links=args.follow_links, access=args.access)
            if args.to_files:
                report = export(args.sources, store, args.to_files, worker, workers, **options)
                where = f"files in {args.to_files} for {store.collection}"
            else:
                report = ingest(args.sources, store, worker, workers, **options)
                where = store.collection
            print(f"Worker {args.worker}: {report.documents} documents ({report.passages} "
                  f"passages, {report.embedded} embedded) into {where}; "
                  f"{len(report.skipped)} files skipped.")
            return 0
        if args.command == "merge-stats":
            merged = merge_statistics(store, args.folder)
            print(f"{merged} workers' statistics merged into {store.collection}.")
            return 0
        if args.command == "recount":
            stats = store.recount()
            print(f"{store.collection}: statistics counted again from {stats.passages:,} "
                  "passages.")
            return 0
        from index.paths import default_index_dir

        out = args.out or default_index_dir()
        if args.every:
            follow(store, out, args.every)
        report = pull(store, out)
        state = "written" if report.written else "already up to date"
        print(f"{out}: {state}; {report.documents} documents, {report.passages} passages "
              f"({report.fetched} fetched, {report.removed} removed).")
        return 0
    finally:
        store.close()


def milvus_of(args, out: Path):
    """The Milvus collection a build writes to, or None for the embedded backend."""
    from index.stores.milvus import (
        MilvusConfig,
        MilvusStore,
        collection_name,
        parse_index_uri,
    )

    if args.backend == "embedded":
        if args.uri or args.collection or config_of(args):
            raise ValueError("--uri, --collection and the Milvus layout options go with "
                             "--backend milvus")
        return None
    if not args.uri:
        raise ValueError("--backend milvus needs --uri (e.g. milvus://127.0.0.1:19530)")
    uri, named = parse_index_uri(args.uri)
    return MilvusStore(uri, args.collection or named or collection_name(Path(out)),
                       config=config_of(args) or MilvusConfig())


CLUSTER_OPTIONS = ("shards", "replicas", "index_type", "index_param", "search_param",
                   "consistency", "partition_key", "text")


def cluster_options(p) -> None:
    """The layout of a Milvus collection on a cluster (``index.stores.milvus.MilvusConfig``)."""
    from index.stores.milvus import CONSISTENCY, INDEX_TYPES, PARTITION_KEYS, TEXT_MODES

    g = p.add_argument_group("Milvus layout (with --backend milvus, publish or rebuild)")
    g.add_argument("--shards", type=int, default=None, help="shards of the collection (1)")
    g.add_argument("--replicas", type=int, default=None,
                   help="in-memory replicas on the query nodes (1)")
    g.add_argument("--index-type", default=None, choices=list(INDEX_TYPES),
                   help="dense vector index (HNSW)")
    g.add_argument("--index-param", action="append", default=None, metavar="KEY=VALUE",
                   help="a build parameter of the index, e.g. M=32, nlist=4096 (repeatable)")
    g.add_argument("--search-param", action="append", default=None, metavar="KEY=VALUE",
                   help="a search parameter, e.g. ef=128, nprobe=64 (repeatable)")
    g.add_argument("--consistency", default=None, choices=list(CONSISTENCY),
                   help="consistency level of searches (Strong)")
    g.add_argument("--partition-key", default=None, choices=[*PARTITION_KEYS, "none"],
                   help="a filter field Milvus partitions by (none)")
    g.add_argument("--text", default=None, choices=list(TEXT_MODES),
                   help="passage text on the query nodes: memory-mapped (mmap, the default), "
                        "not loaded, or in memory")


def config_of(args):
    """The Milvus layout the options give, or None when none is given."""
    from index.stores.milvus import MilvusConfig

    given = {k: getattr(args, k, None) for k in CLUSTER_OPTIONS}
    if all(v is None for v in given.values()):
        return None
    options = {k: v for k, v in given.items() if v is not None and k not in ("index_param",
                                                                            "search_param")}
    if options.get("partition_key") == "none":
        options["partition_key"] = None
    options["index_params"] = params_of(given["index_param"])
    options["search_params"] = params_of(given["search_param"])
    return MilvusConfig(**options)


def params_of(pairs: list[str] | None) -> dict:
    out = {}
    for pair in pairs or []:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise ValueError(f"{pair!r} is not KEY=VALUE")
        try:
            out[key] = json.loads(value)
        except json.JSONDecodeError:
            out[key] = value
    return out
