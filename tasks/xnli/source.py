"""XNLI and AfriXNLI: hub datasets at a pinned revision, exported to `<lang>/<split>.jsonl`;
every file of our layout is pinned by SHA-256 (taken from the verified offline copy)."""

from tasks.datasource import DataSource, Download, Layout, parse_sha256sums

AFRIXNLI_LANGUAGES = (
    "amh", "eng", "ewe", "fra", "hau", "ibo", "kin", "lin", "lug",
    "orm", "sna", "sot", "swa", "twi", "wol", "xho", "yor", "zul",
)  # fmt: skip
SPLITS = ("validation", "test")
PARQUET = "refs/convert/parquet"
"""The hub's parquet export: `<config>/<split>/0000.parquet` for every config of the dataset."""


def _hub_files(languages: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    return tuple(
        (f"{lang}/{split}/0000.parquet", f"{lang}/{split}.jsonl") for lang in languages for split in SPLITS
    )


# BEGIN PINS xnli
XNLI_SHA256 = parse_sha256sums("""
8fd9e08856b3a19f81639df3ff78a219df1cdbbf65bd1a2cbcb681a1ccf8a473  xnli/ar/test.jsonl
73852951ed800a312f0a0c1d4480b574872b6aeec84879d29989071733dbf15d  xnli/ar/validation.jsonl
c2640df5e94dc29e0169125af18f492f4355380a800295422712235b4a9d4c53  xnli/bg/test.jsonl
3c8f4d98024d71d1cb5b8c0545ec2fa6cb79b0771dae1a13888836ae67ee7c30  xnli/bg/validation.jsonl
82c6807d8643c8f3b30b847c7d645ede19aed6fca0c544919803e21dd2db8294  xnli/de/test.jsonl
6a7ac04e58ee3e881c29e89336b708141e729ab46573467567eddb8ce94daf1e  xnli/de/validation.jsonl
ee570c94226a726d1a8e09d9bab6843b4bdd3ff0146b6bf5d6e0e5a2542db4a7  xnli/el/test.jsonl
6869ed14b9022bdc95193718394f48db4f9f80654a595f0fa71c93c44f06fd4e  xnli/el/validation.jsonl
4ff6199a99826bf3c0f72e1fb8a8e2ffcbade58a1c664918d6b0d310d31d0b44  xnli/en/test.jsonl
6a0fdfd5ff20df376d5b97101ee08e3f3ad306bd2368a49ee3d72212192b6adf  xnli/en/validation.jsonl
ddf29779e02e9ff37c4dfe6300ec46efc18f227c3d02935e982bedcf65ea7876  xnli/es/test.jsonl
a734f6fb2d52ad3820b0b477c924f573247da3d2118a26df27b7013e6d835248  xnli/es/validation.jsonl
ec6eb4bcecb934fcd4d2db9f80fe64974c8cab6444568a0acbbc1649e77b8995  xnli/fr/test.jsonl
4dc6ba6767e2d02afd66905e1946e185063a504812768e33feb731c2db2174a9  xnli/fr/validation.jsonl
ed5ee0be37afe4f30b53d9fdfd5127261d5fb5e2bcc02c410dd3dc073ba378f3  xnli/hi/test.jsonl
28e715cfb23d7d437335c155f3feaea9900942d0032ead874a6110e443c523d8  xnli/hi/validation.jsonl
2e5fd53b403f60b6642fcad24598e694b8f73e622da7abcf2049f9771b75dba1  xnli/ko/test.jsonl
0bf7c939b9efdecd5048e62b32145a05434892ac6cf15e2346fe448ddc09c3f9  xnli/ko/validation.jsonl
6b531e3af669fc23d2a1e272bd6a8abe3f56f5acfc3d18bf5fc70aa6dd87969e  xnli/ru/test.jsonl
0797cf86d5256f6e3e5ae6605175c52e3483eec24ca6e287b867d053c39dadf6  xnli/ru/validation.jsonl
e1dd87c6f19d1ac53149ca388a8e461da3e4ed6a9f88606251efa41da3ccd0fa  xnli/sw/test.jsonl
7df5547cac696b5e42d91e6e73359839219ff1fe010553fdd2fe4ba5b7add63f  xnli/sw/validation.jsonl
98921646d11427d2a8fc3308809a2a537e39ce8de42f7fc748b33ace3fb204e8  xnli/th/test.jsonl
1e2fd150469c8558a1971bfe85debab4462fa11ee5bad63f96d6633698f45aa1  xnli/th/validation.jsonl
777985c381a31bb0665d53d472b9a843dadc70d3db14b73dc3ed82882c198684  xnli/tr/test.jsonl
dde36eae719348ab4ba302eb06ec3c30e6e3652087921146db51856f419e0acc  xnli/tr/validation.jsonl
14f49238a4b006ac48d3400ac5807448873b1ec58f6f82d0c788061292a7436b  xnli/ur/test.jsonl
8378d23b98fb15b3c525e3942572ae03e0bd94af179d3a4b28b83931d667f8ed  xnli/ur/validation.jsonl
3cd50d6daf5c413cd9469841599b0786a68228087cb42b5cf52b2a244298aacb  xnli/vi/test.jsonl
6e30f8194c2a02b73e1735e7ae2d7a6856c0844f449fb9b24b9e8b229a3bfd6e  xnli/vi/validation.jsonl
223ead71116026186070a794bbbf89f995de6b459fee37f073f9da1396d4ceea  xnli/zh/test.jsonl
0dc6c7a4349f8b7220162e3a4522e3c017c044e92ef62f9130d048c4543aaa3c  xnli/zh/validation.jsonl
""")  # noqa: E501
# END PINS xnli

# BEGIN PINS afrixnli
AFRIXNLI_SHA256 = parse_sha256sums("""
8fb5f42c13faf91a1ea2aa043c76eb69a9f8a20a2f006ee9696d7e5368735b13  afrixnli/ewe/test.jsonl
699adb82ac9c4906696563a92bd9290f6ad7cd968f468b962b9c258b74c40f53  afrixnli/ewe/validation.jsonl
b9553515e65c2b134af0cabd35b93034b988c6c671854528256812b71823e10e  afrixnli/fra/test.jsonl
3b90b102dacddc218277b12f8b69c03b3a982af370e3de2e8d1b9eeefebc0f22  afrixnli/fra/validation.jsonl
f0d303ee18c2e2b322b7c74bbb4c243a9fa2aec2bdaac593481742ea56b012d8  afrixnli/hau/test.jsonl
d6b69bf9f31d1a15857423b9e137d2948e2bccad093ab71c9ea4d1c12a1621ee  afrixnli/hau/validation.jsonl
7fd29251804010cb6eac29785bfdca97e14649f5ad42bced21568f8ac19bbb7c  afrixnli/kin/test.jsonl
2dfd77b87d9bbe18812232137f29cf28ca3b660a3130632e7414d3c8a5235132  afrixnli/kin/validation.jsonl
b09e9c7cedef6b192765defa6cdee811303c308c22d9a28a1c79b6cecf518fda  afrixnli/lin/test.jsonl
7f1a4c37dcaa6e74532b05cff877079afea6c64d1f617f3482390351a69a153e  afrixnli/lin/validation.jsonl
b39652017631d8255f0e5846a37e3bb764f3ed67a4498a3d73de219186bd02ef  afrixnli/lug/test.jsonl
e5224824f82190ee2631a6ab83b68a676e9c692abe490c20d5041099b4ef4de1  afrixnli/lug/validation.jsonl
44d4539e50d1eeeeafca73b17cda1df76f2d9679b971836c2c5736959622b843  afrixnli/orm/test.jsonl
b358391121c9275a4a27729ca0bd73a05c05e4b72de55043483d067fbde94944  afrixnli/orm/validation.jsonl
8aedacc36c5f73f9c92de586ac35f8b25c9f2df2fdb4e4167d885ef47d5857b4  afrixnli/sna/test.jsonl
48caaa7f9ce493161a6a94febda09b0f419b9bade3121ec7df61b422c635072b  afrixnli/sna/validation.jsonl
03dfa5c51108c32c55335f39bd30971de1bb441ec3f21be4372765e0e4d98471  afrixnli/sot/test.jsonl
2619d5450fae91788071ccfc1fa8a15d554b703e15d9411d7ac7c2841bc112d6  afrixnli/sot/validation.jsonl
6ea1aa49990e3b7ed6b33d7950cd58c24fcd12e3ae8452eb2c9b90b3886dfddb  afrixnli/swa/test.jsonl
0f71c1f40bb300beb7c5bd68093df51e862187998acc6966de62d68ab8a67e2b  afrixnli/swa/validation.jsonl
29ca771ebf150df6bdc799902476ec104a70e07c045c311c42b12e2a0914fc64  afrixnli/twi/test.jsonl
94b7a6286da92d8ce44b35d792ec482c48dd5bfd292869889c310098cc28d143  afrixnli/twi/validation.jsonl
a95d8b9a0d06972fe7ad6bff3c73403ccb2d9c00fda7a8e89d63a8b60684fe62  afrixnli/wol/test.jsonl
4c0e2c20f9f891ed4c68ca54aa04f79c68754d32410b8b465f6e1c210a00be74  afrixnli/wol/validation.jsonl
627b0093b1f22cb8308a54d6e8db2b36475e31c358a0ae5c0542e170df12310d  afrixnli/xho/test.jsonl
700dd5700c9b6f3e85e306705cedfa220357bc685ba6aea46d96e3e273b30b0f  afrixnli/xho/validation.jsonl
3e2092bde3f3ed1e62268b3616c596e839ade4ff21a85304796b5272f60126d3  afrixnli/yor/test.jsonl
6004a9cf6fce912447f0a3cd62f6eb9a8d2f3742c8ceab3c60fb7cdd249d2e07  afrixnli/yor/validation.jsonl
bf90e04b50e83d56bce2c7f113048b9ee56e6b9537e4c55cf60995377a2cfe1e  afrixnli/zul/test.jsonl
098bf72e15315e9365c842a488acee32c6205019f7324be3015b2f73c2440492  afrixnli/zul/validation.jsonl
""")  # noqa: E501
# END PINS afrixnli

XNLI_LANGUAGES = tuple(sorted({p.split("/")[1] for p in XNLI_SHA256} - {"ko"}))
"""The 15 languages of facebook/xnli (ko, KorNLI, comes from elsewhere)."""

XNLI = DataSource(
    name="xnli",
    description="XNLI validation (2490) and test (5010) rows in 15 languages, plus KorNLI's Korean (ko)",
    licence="CC BY-NC 4.0 (ko: CC BY-SA 4.0)",
    homepage="https://github.com/facebookresearch/XNLI",
    downloads=(
        Download(
            kind="hf",
            repo="facebook/xnli",
            version=PARQUET,
            version_pinned=False,
            into="xnli",
            files=_hub_files(XNLI_LANGUAGES),
        ),
    ),
    layout=Layout(required=("en/test.jsonl", "en/validation.jsonl")),
    tasks=tuple(f"xnli_{lang}" for lang in (*XNLI_LANGUAGES, "ko")),
    file_sha256=XNLI_SHA256,
    not_fetched=frozenset(p for p in XNLI_SHA256 if p.startswith("xnli/ko/")),
    note=(
        "revision is the hub's parquet branch, not a commit: content pinned per file; ko (KorNLI) is "
        "not on facebook/xnli and is not fetched (verified when present)"
    ),
)

AFRIXNLI = DataSource(
    name="afrixnli",
    description="AfriXNLI (IrokoBench): XNLI translated into African languages, 450 / 600 rows each",
    licence="as published with IrokoBench (masakhane/afrixnli)",
    homepage="https://huggingface.co/datasets/masakhane/afrixnli",
    downloads=(
        Download(
            kind="hf",
            repo="masakhane/afrixnli",
            version=PARQUET,
            version_pinned=False,
            into="afrixnli",
            files=_hub_files(AFRIXNLI_LANGUAGES),
        ),
    ),
    layout=Layout(any_of="*/test.jsonl"),
    tasks=tuple(f"afrixnli_{lang}" for lang in AFRIXNLI_LANGUAGES),
    file_sha256=AFRIXNLI_SHA256,
    note=(
        "revision is the hub's parquet branch, not a commit: content pinned per file for the 15 "
        "languages of the offline copy; amh, eng and ibo have no offline copy and are not pinned"
    ),
)

SOURCES = (XNLI, AFRIXNLI)
