"""FLORES-200: the official tarball, pinned by its SHA-256 (204 languages x 2 splits are too many
files to pin one by one; the archive pin covers them all)."""

from tasks.datasource import DataSource, Download, Layout

FLORES200 = DataSource(
    name="flores200",
    description="FLORES-200 dev (997) and devtest (1012) sentences, aligned across 204 languages",
    licence="CC BY-SA 4.0",
    homepage="https://github.com/facebookresearch/flores/tree/main/flores200",
    downloads=(
        Download(
            kind="tarball",
            url="https://dl.fbaipublicfiles.com/nllb/flores200_dataset.tar.gz",
            version="flores200_dataset (NLLB release)",
            sha256="b8b0b76783024b85797e5cc75064eb83fc5288b41e9654dabc7be6ae944011f6",
            into="flores200",
            files=(("flores200_dataset/", ""),),
        ),
    ),
    layout=Layout(required=("dev/eng_Latn.dev", "devtest/eng_Latn.devtest")),
    tasks=("flores_<src>-<tgt> (every direction)", "flores_lin and the other language groups"),
)

SOURCES = (FLORES200,)
