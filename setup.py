"""The package's one compiled part, ``bot.core._overlap`` (why: its source's opening).

Optional: where it cannot be built (no C compiler) the package installs all the same and
numpy does the same sums (``bot.core.index``). The build must not fuse a multiply and an
add into one instruction (``-ffp-contract=off``): that rounds differently, and the
compiled scores must be numpy's, to the bit.
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "bot.core._overlap",
            ["bot/core/_overlap.c"],
            extra_compile_args=["-O2", "-ffp-contract=off"],
            optional=True,
        )
    ]
)
