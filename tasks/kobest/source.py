"""KoBEST: the hub dataset `skt/kobest_v1`, exported to `<task>/<split>.jsonl`, pinned per file."""

from tasks.datasource import DataSource, Download, Layout, parse_sha256sums

# BEGIN PINS kobest
KOBEST_SHA256 = parse_sha256sums("""
946477b2557835f1a164b6e1ec15e7d36f1f57a7f61a1466c384a9c51680ce59  kobest/boolq/test.jsonl
3b8f7fac1e09e336ea9c249db0b0762d9d0368eb36c973e555f0e9879cf54360  kobest/boolq/train.jsonl
448950b97ec0603054daa44640aea9ab3101edcd7dc84c6f6c66544c352eb0b9  kobest/boolq/validation.jsonl
0bb5c1232bc5a175dce2262d2f9150ed683f9be6209516afdfade9237a1340c4  kobest/copa/test.jsonl
dd99b41dc72e5054db022a2ddf88e810ad6a17192fa55d291252f042fdb1a431  kobest/copa/train.jsonl
74d56abf6d20b0fc68aebfd5c2240b2529d9db08a0a094a556e78ee4acffba81  kobest/copa/validation.jsonl
1c43d3322e6f08c86b0e0c041270c2b2672f3a95f62daae670b81d45f311fad2  kobest/hellaswag/test.jsonl
358c8c8bef7a1d829381847ddb68a95ea80dfee460f287610206890d7ec8aaab  kobest/hellaswag/train.jsonl
186edee15fcafba3783a6fbc8a37892fd197a15e73f984308199f6b002b7a5a2  kobest/hellaswag/validation.jsonl
e43dc1377c5fab0722b85e4a11e899a3189bc70d6593e4d939a19027c584be2c  kobest/sentineg/test.jsonl
8b89f429e1d6d6c6b3827ea9a87974fc31239f3c73f9602a3c72d122766acae3  kobest/sentineg/train.jsonl
f2c02e9e8d147db587a641100e369c235889f18076fa0896f932a8d80540bd84  kobest/sentineg/validation.jsonl
2ab6aec6efc34f6c732d86f40beba9ce467e9ca77da0a4327613bef0d05845fd  kobest/wic/test.jsonl
36c97da9c0f9921e101f3103bdf0a286a0a2c53cebfa85f236aa271120e757ef  kobest/wic/train.jsonl
b7d3cac702a8341add8b25b5ae3c1b9f84713a460e326fa255e6b1ede743302f  kobest/wic/validation.jsonl
""")  # noqa: E501
# END PINS kobest

LAYOUT = tuple(p.removeprefix("kobest/") for p in KOBEST_SHA256)
"""`<task>/<split>.jsonl`; the hub has the same rows as `<task>/<split>/0000.parquet`."""

KOBEST = DataSource(
    name="kobest",
    description="KoBEST: Korean BoolQ, COPA, HellaSwag, SentiNeg and WiC",
    licence="CC BY-SA 4.0",
    homepage="https://huggingface.co/datasets/skt/kobest_v1",
    downloads=(
        Download(
            kind="hf",
            repo="skt/kobest_v1",
            version="refs/convert/parquet",
            version_pinned=False,
            into="kobest",
            files=tuple((p.replace(".jsonl", "/0000.parquet"), p) for p in LAYOUT),
        ),
    ),
    layout=Layout(required=LAYOUT),
    tasks=tuple(sorted({f"kobest_{p.split('/')[0]}" for p in LAYOUT})),
    file_sha256=KOBEST_SHA256,
    note="revision is the hub's parquet branch, not a commit: content pinned per file",
)

SOURCES = (KOBEST,)
