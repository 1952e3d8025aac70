"""AGIEval v1: the `data/` folder of the official repository, pinned per file."""

from tasks.datasource import DataSource, Download, Layout, parse_sha256sums

# BEGIN PINS agieval
AGIEVAL_SHA256 = parse_sha256sums("""
c2cfccb812fe482101a8f04597dfc5a9991a6b2748266c47ac91b6a5aae15383  agieval/LICENSE
b3dc9466d5cb758c77d8ab2b58026e448be0039b30819b4bcb67a9e13a09de8a  agieval/few_shot_prompts.csv
9097488fe82874530504e7151de5b7be274c4ec9c5e555ea58980645f4e700d1  agieval/v1/LICENSE
cff42e946e6082dacb27285dae19cb4be98408ab760fe43c6c462e543be50572  agieval/v1/aqua-rat.jsonl
198fd16479ae8640403d6332e986370a66df91c6bdafbc5edc6d6348664af25c  agieval/v1/gaokao-biology.jsonl
5b81e042c69bf923caa50b7466b06937639b957f37643318de98060efacb397d  agieval/v1/gaokao-chemistry.jsonl
1ddcf8fa15e07a25589796dc1c72a341c2d874af8de41970262d66693f95285f  agieval/v1/gaokao-chinese.jsonl
2de1b1e5d9718d908ffb46665e949bff83bef956ad8b7de16ea412e058162b01  agieval/v1/gaokao-english.jsonl
1170cb39171d6dfc35bd52a52505e5a120cf400abc697f282d0739db6181713b  agieval/v1/gaokao-geography.jsonl
27350771d399814fc69dd6d7e6ce115b7913ae208e04e385a7e6fcdf51a6b8b7  agieval/v1/gaokao-history.jsonl
088675c147794970a3ed25c7147a3bbc59715d6813837d5f483f46dcb1b5008d  agieval/v1/gaokao-mathcloze.jsonl
d246f12752d121289ef55cbf1bcf954243cefb65d110f71d09358e24065c808f  agieval/v1/gaokao-mathqa.jsonl
a8cbc26d9edce4a280c5ffd9d026c5a6ca1eb6a9d801f04283861e69b3318fd5  agieval/v1/gaokao-physics.jsonl
580550e17856d8b08cf8b0b821fbc0f872b51f0e174bebfa332cf1ee96df4259  agieval/v1/jec-qa-ca.jsonl
e3c66086b3f02eb6bc38e6a811d625246e25daa65488354c23bd9df38df5319e  agieval/v1/jec-qa-kd.jsonl
63d0e8efaca1944e7eac5037903650f92ca9c036155a66b4e95bf2aa06da1702  agieval/v1/logiqa-en.jsonl
bae5d51cd3510995d417819e75c89245988dbabeeb3830aa23f6309142f2ffae  agieval/v1/logiqa-zh.jsonl
3b3e3fe09a07c695326adb82f38da0d67d5bbaadab41551f198c3102f1ea9dc8  agieval/v1/lsat-ar.jsonl
c6acb4d843db7b515da4d853e52bb8e6e5f776910f2e35a1805634db24bf94ea  agieval/v1/lsat-lr.jsonl
0eed491b3099d66b8110d4fabb98ce43285a6ac61ea5643285eec11b8abce202  agieval/v1/lsat-rc.jsonl
43e783af2025318125a96a970a0df37941124a5c0dabea382a12ce1b04651a11  agieval/v1/math.jsonl
77eb57bb6f6f39466d5d169de5253e77755ef521ad6692f582307672affbf593  agieval/v1/sat-en-without-passage.jsonl
33fe87b32ff16ae7ba52b27bb398190b082253b3617a3eb9737005262ba12dd4  agieval/v1/sat-en.jsonl
9cde4c0522b6196852a5562db6e72bf8817b4802822db0fc10013d1becdab3c3  agieval/v1/sat-math.jsonl
""")  # noqa: E501
# END PINS agieval

AGIEVAL = DataSource(
    name="agieval",
    description="AGIEval v1, incl. the nine gaokao-* sets (english 306, chinese 246, mathqa 351, ...)",
    licence="MIT + per-source terms (v1/LICENSE)",
    homepage="https://github.com/ruixiangcui/AGIEval",
    downloads=(
        Download(
            kind="github",
            repo="ruixiangcui/AGIEval",
            version="main",
            version_pinned=False,
            into="agieval",
            files=(("data/", ""), ("LICENSE", "LICENSE")),
        ),
    ),
    # The nine Gaokao sets the family reads, every one of them required.
    layout=Layout(required=tuple(p.removeprefix("agieval/") for p in AGIEVAL_SHA256 if "/v1/gaokao-" in p)),
    tasks=("agieval_gaokao_<subject> (9)",),
    file_sha256=AGIEVAL_SHA256,
    note="branch main, commit not pinned yet: content pinned per file",
)

SOURCES = (AGIEVAL,)
