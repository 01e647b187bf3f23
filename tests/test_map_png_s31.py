"""The map's raster layers are palette PNGs written by mecc (map_data.palette_png):
read back with Pillow, every class has its colour and class 0 (no class) is transparent."""

from __future__ import annotations

import base64
import io

import numpy as np
from PIL import Image

from mecc.map_data import palette_png


def test_palette_png_reads_back_with_its_classes_colours_and_transparency():
    rng = np.random.default_rng(7)
    classes = rng.integers(-1, 4, (97, 131))  # -1 and 0: no class
    colours = ["#ff0000", "#00ff80", "#123456"]
    uri = palette_png(classes, colours)
    assert uri.startswith("data:image/png;base64,")
    image = Image.open(io.BytesIO(base64.b64decode(uri.split(",", 1)[1])))
    assert (image.mode, image.size) == ("P", (131, 97))
    rgba = np.asarray(image.convert("RGBA"))
    expected = np.zeros((97, 131, 4), dtype=np.uint8)
    for k, colour in enumerate(colours, start=1):
        expected[classes == k] = [int(colour[i : i + 2], 16) for i in (1, 3, 5)] + [255]
    assert (rgba[..., 3] == 0).sum() == (classes < 1).sum()  # no class: transparent
    np.testing.assert_array_equal(rgba[classes >= 1], expected[classes >= 1])
