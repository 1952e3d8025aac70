"""GAOKAO-Bench 2010-2022 and its 2023 update (an optional second part, `gaokao_bench_updates/`),
from the official GitHub repositories, pinned per file."""

from tasks.datasource import DataSource, Download, Layout, parse_sha256sums

# BEGIN PINS gaokao_bench
GAOKAO_SHA256 = parse_sha256sums("""
c71d239df91726fc519c6eb72d318ec65820627232b2f796219e87dcf35d0ab4  gaokao_bench/LICENSE
df0f2e16cf33e36bfd35dfa6d1694f3bfc05b5defb6aff6f30b79bf6e879b466  gaokao_bench/Obj_Prompt.json
126fb62dd4123c53fadbfcd950498c5710f1f21ea1d8f5b16c1d0c59efea4225  gaokao_bench/Objective_Questions/2010-2013_English_MCQs.json
acdef3dd5b47ab76d27032b5be60bbf0dc7bb6080b34f46a2eff76c226e4974a  gaokao_bench/Objective_Questions/2010-2022_Biology_MCQs.json
c14257debeedb4f11122a17d2f92ce8d7cc1713041f5b038f58f4c85739be35e  gaokao_bench/Objective_Questions/2010-2022_Chemistry_MCQs.json
83bf5c5ea189948e61797d4b4fb9b3be08713467cfbe2d10e78251e82066f278  gaokao_bench/Objective_Questions/2010-2022_Chinese_Lang_and_Usage_MCQs.json
a0255a8ee6b0c6099ae78cb1c12a0888b41685b875add032a2fa8ba7446e5459  gaokao_bench/Objective_Questions/2010-2022_Chinese_Modern_Lit.json
60014396003ed5407566e00d745d4dce1016d366c8839febdb3d631ff05d4b1f  gaokao_bench/Objective_Questions/2010-2022_English_Fill_in_Blanks.json
edb64a92871a97c06fc03d68ff818b3020e09a9ae9dd546a74262dbf02f74fc0  gaokao_bench/Objective_Questions/2010-2022_English_Reading_Comp.json
cd69dc502f5e0c96b94d5d67b5f8a2811a799a18b0ba3fd16da6a15e964b7d03  gaokao_bench/Objective_Questions/2010-2022_Geography_MCQs.json
c662fa9bea0663e346b1107134fd708a7b4353e60925185b9a0d6fe41e8a4f14  gaokao_bench/Objective_Questions/2010-2022_History_MCQs.json
5f977c8aefbd54d7de6f630cb7cb4a85ac5391fd96753fb6689aa052819e1df7  gaokao_bench/Objective_Questions/2010-2022_Math_II_MCQs.json
e1d80fb7e6f1b614edeadf6c9007c3ea0e47540b9c6b41ac68bb414ea39fed4c  gaokao_bench/Objective_Questions/2010-2022_Math_I_MCQs.json
bb0287539421c3d9317f5be3afe7ca0a752da15605f20bf1b4cfc002029532aa  gaokao_bench/Objective_Questions/2010-2022_Physics_MCQs.json
aab7ab67f5bd94a796a8d80c0e3f994fce2a6bfe8893d07835fa9ef34ede32bd  gaokao_bench/Objective_Questions/2010-2022_Political_Science_MCQs.json
cd54d889b80bb586e739be352795d49bc28f0cac86185839494553421b5b2660  gaokao_bench/Objective_Questions/2012-2022_English_Cloze_Test.json
e2b0a3d5a6b4db6358541bbed7c200af8b93628d542cff80de71f9cfc155c6b3  gaokao_bench/Sub_Prompt.json
9bbf621c7faa170d1c34f53f255ca24f6e0b422ead2ba85dba940662079829fd  gaokao_bench/Subjective_Questions/2010-2022_Biology_Open-ended_Questions.json
168bce50a982c9c4f6008cdf5659981d5d57e77e220b2c745564ec1176bfb162  gaokao_bench/Subjective_Questions/2010-2022_Chemistry_Open-ended_Questions.json
464597e64b50ce80778e556e811007ae651ab0c6e2e4933811fcc95eb1b22cc1  gaokao_bench/Subjective_Questions/2010-2022_Chinese_Language_Ancient_Poetry_Reading.json
d063a1bc41c0d5c2d0434839750bb3dc78727c6875b96d40d58b8ae495ed0a78  gaokao_bench/Subjective_Questions/2010-2022_Chinese_Language_Classical_Chinese_Reading.json
4ee05015e3fd18eea5f0b9d0b67d1dcdfa7f123c94cc064749d48007bacdf009  gaokao_bench/Subjective_Questions/2010-2022_Chinese_Language_Famous_Passages_and_Sentences_Dictation.json
563e08176afda11b5639802278a952fbb6db844ba9be3d5d0bc65d778c116d49  gaokao_bench/Subjective_Questions/2010-2022_Chinese_Language_Language_and_Writing_Skills_Open-ended_Questions.json
56271754e7f694854370e3670287f4e0084455fe13bb45dab1514d0a55496f7b  gaokao_bench/Subjective_Questions/2010-2022_Chinese_Language_Literary_Text_Reading.json
885d2bc79d1b90269103d797970e95fcaa013fbf4a59f8d768697ceb53e9f1e3  gaokao_bench/Subjective_Questions/2010-2022_Chinese_Language_Practical_Text_Reading.json
18056ef5a8b3b45fdfcf70974ff7df30b09f65af2d42d1cbe9ab5f4de361f879  gaokao_bench/Subjective_Questions/2010-2022_Geography_Open-ended_Questions.json
1628534d81bf22f99fe8d58e0578cf604edc404663d5168cd0b0f2194beb6dbb  gaokao_bench/Subjective_Questions/2010-2022_History_Open-ended_Questions.json
797ccc7635a6c1fb7c3ecdb7497a9cd525affd5d2f449a20c2c921b105e20d3a  gaokao_bench/Subjective_Questions/2010-2022_Math_II_Fill-in-the-Blank.json
d0dadc40e289ee989194c2ab474e2d30537eb54a6f36d457d75fd04e9618152d  gaokao_bench/Subjective_Questions/2010-2022_Math_II_Open-ended_Questions.json
f7ab2860a0dcf877bc6572f51c800cd51dc5d1b3e7829ede6be68b43e885a0e9  gaokao_bench/Subjective_Questions/2010-2022_Math_I_Fill-in-the-Blank.json
7a093e56bc3bebdb24e774a250d109be6b1ef62540105c73bbfcc6d8e23306bc  gaokao_bench/Subjective_Questions/2010-2022_Math_I_Open-ended_Questions.json
8d48d4348bad353f62bf3d832a0cbdf43723de054e1dbb923df9e51d6b1f1bed  gaokao_bench/Subjective_Questions/2010-2022_Physics_Open-ended_Questions.json
66afd6e2257f9b9d1d079cd3481fb90c75eb12826c43e10a66bf84fe6e8ff327  gaokao_bench/Subjective_Questions/2010-2022_Political_Science_Open-ended_Questions.json
cc3385f63365b2192e85c92654f78ed0110f97c50b2361b108f645050a9587f9  gaokao_bench/Subjective_Questions/2012-2022_English_Language_Error_Correction.json
bc190d15f3d37f904a781c08ef4e174d5afcaff337447e070175d8dfdffa2384  gaokao_bench/Subjective_Questions/2014-2022_English_Language_Cloze_Passage.json
82f8fb0307148dcd070c16968799834479afbbbaba53c257de5ce0642c479720  gaokao_bench_updates/2023_Obj_Prompt.json
ba40290abc1000b5ffa88962f9fa417bf64d6380032d42962739b2cc3d61a8d3  gaokao_bench_updates/GAOKAO-Bench-2023/2023_Biology_MCQs.json
835225f666f152e703459edaf38c8f01c7ca6222b15fa29765359557962b19bb  gaokao_bench_updates/GAOKAO-Bench-2023/2023_Chemistry_MCQs.json
05fee976218b81ffd6306c348948e43ec2a8be3a4c567b001becd05bc5803dad  gaokao_bench_updates/GAOKAO-Bench-2023/2023_Chinese_Lang_and_Usage_MCQs.json
09eb723e06c2c63b02d16cd399cace0e213d5c0f4ac72feae4b9e6c912d0afac  gaokao_bench_updates/GAOKAO-Bench-2023/2023_Chinese_Modern_Lit.json
800930aa9756cb8be1cbc0bd3cfcfcc11da8dbdbdeba3232a090ca2d473bb937  gaokao_bench_updates/GAOKAO-Bench-2023/2023_English_Cloze_Test.json
4c693b2e1214fc780c557a8957a29445ba14c705855655dea4acdc638843be98  gaokao_bench_updates/GAOKAO-Bench-2023/2023_English_Fill_in_Blanks.json
331873221f589b6df27f40725b1fdc761bf6c7f28656c040ad63810a2cdafd45  gaokao_bench_updates/GAOKAO-Bench-2023/2023_English_Reading_Comp.json
5e4494f5fa4ac765c98391692fc65ef01bca34f29423a2baed0708e6e6c7f4d1  gaokao_bench_updates/GAOKAO-Bench-2023/2023_Geography_MCQs.json
2843804011890ddc34b4c367a72a82acf7ade1e0b5d3ea71a92ddb0a8798e187  gaokao_bench_updates/GAOKAO-Bench-2023/2023_History_MCQs.json
77cf1b75e88d16537091e68cdb56e88eb4534dc72c45f01b7a314ca24bd674bf  gaokao_bench_updates/GAOKAO-Bench-2023/2023_Math_MCQs.json
209fd4263bb92825989fcd8224ee1bf7797eedde35701fd6b4e655716bf270b8  gaokao_bench_updates/GAOKAO-Bench-2023/2023_Physics_MCQs.json
6dfd7d9f0d109d5180effcfdc2c85aeb22ee3425d9bec1c64f617b5925594544  gaokao_bench_updates/GAOKAO-Bench-2023/2023_Political_Science_MCQs.json
""")  # noqa: E501
# END PINS gaokao_bench

GAOKAO_BENCH = DataSource(
    name="gaokao_bench",
    description="GAOKAO-Bench 2010-2022 (1781 objective, 1030 subjective questions) + the 2023 update",
    licence="Apache-2.0",
    homepage="https://github.com/OpenLMLab/GAOKAO-Bench",
    downloads=(
        Download(
            kind="github",
            repo="OpenLMLab/GAOKAO-Bench",
            version="main",
            version_pinned=False,
            into="gaokao_bench",
            files=(("Data/", ""), ("Bench/", ""), ("LICENSE", "LICENSE")),
        ),
        Download(
            kind="github",
            repo="OpenLMLab/GAOKAO-Bench-2023",
            version="main",
            version_pinned=False,
            into="gaokao_bench_updates",
            files=(("Data/", "GAOKAO-Bench-2023/"), ("Bench/", "")),
            optional=True,
            note="the yearly update, read beside gaokao_bench/ when present",
        ),
    ),
    layout=Layout(required=("Obj_Prompt.json", "Objective_Questions/2010-2022_Biology_MCQs.json")),
    tasks=("gaokao_<years>_<subject> (objective)", "gaokao_2023_<subject> (from the update)"),
    file_sha256=GAOKAO_SHA256,
    note="branch main of both repositories, commits not pinned yet: content pinned per file",
)

SOURCES = (GAOKAO_BENCH,)
