"""Photos for the portrait tests, made and read by Pillow: an independent
reader of what our server writes.

  photo.py make OUT.jpg    a 1200 x 1600 photo-like JPEG carrying what a
                           phone's photo carries: EXIF with a GPS position
                           and the camera, an ICC profile, XMP and a comment
  photo.py polyglot OUT    the same JPEG with an HTML page in its comment
  photo.py bomb OUT.png     a valid 30,000 x 30,000 PNG of under a megabyte
                           (900 million pixels once decoded)
  photo.py inspect FILE    prints as JSON what FILE carries besides pixels
"""
import io
import json
import random
import struct
import sys
import zlib

from PIL import Image, ImageCms, ImageDraw, ImageFilter

GPS_IFD = 0x8825
XMP = (
    b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
    b'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
    b'<rdf:Description xmlns:exif="http://ns.adobe.com/exif/1.0/" '
    b'exif:GPSLatitude="50,50.8N"/></rdf:RDF></x:xmpmeta>'
)


def photo_like(width, height):
    """Not a person: soft shapes, light and grain, calibrated to cost a JPEG
    encoder what a portrait photo does (about 1.2 bits per pixel at quality
    80 once 384 pixels wide: between a plain studio portrait and a
    detailed scene)."""
    rng = random.Random(29)
    image = Image.linear_gradient("L").resize((width, height)).convert("RGB")
    draw = ImageDraw.Draw(image)
    for _ in range(300):
        x, y = rng.randrange(width), rng.randrange(height)
        r = rng.randrange(width // 40, width // 6)
        colour = tuple(rng.randrange(40, 230) for _ in range(3))
        draw.ellipse((x - r, y - r, x + r, y + r), fill=colour)
    image = image.filter(ImageFilter.GaussianBlur(width / 150))
    grain = Image.effect_noise((width, height), 50).convert("RGB")
    return Image.blend(image, grain, 0.3).filter(ImageFilter.GaussianBlur(0.6))


def exif():
    data = Image.Exif()
    data[0x010F] = "PhoneMaker"  # Make
    data[0x0110] = "Phone 12"  # Model
    data[0x0131] = "Camera 1.0"  # Software
    gps = data.get_ifd(GPS_IFD)
    gps[1] = "N"
    gps[2] = (50.0, 50.0, 48.0)
    gps[3] = "E"
    gps[4] = (4.0, 21.0, 9.0)
    return data


def make(comment=b"Taken at home"):
    out = io.BytesIO()
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    photo_like(1200, 1600).save(
        out, "JPEG", quality=92, exif=exif(), icc_profile=icc, xmp=XMP, comment=comment
    )
    return out.getvalue()


def bomb(side=30_000):
    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    pixels = zlib.compressobj(9)
    row = bytes(1 + side)  # filter byte, then one grey byte per pixel
    idat = b"".join(pixels.compress(row) for _ in range(side)) + pixels.flush()
    header = struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def inspect(path):
    image = Image.open(path)
    image.load()
    data = image.getexif()
    return {
        "format": image.format,
        "size": list(image.size),
        "exif_tags": len(data),
        "gps": len(data.get_ifd(GPS_IFD)),
        "icc": "icc_profile" in image.info,
        "xmp": "xmp" in image.info or b"xmpmeta" in open(path, "rb").read(),
        "comment": "comment" in image.info,
    }


if __name__ == "__main__":
    command, path = sys.argv[1], sys.argv[2]
    if command == "make":
        open(path, "wb").write(make())
    elif command == "polyglot":
        open(path, "wb").write(make(b"<html><script>alert(document.cookie)</script></html>"))
    elif command == "bomb":
        open(path, "wb").write(bomb())
    elif command == "inspect":
        print(json.dumps(inspect(path)))
    else:
        sys.exit(__doc__)
