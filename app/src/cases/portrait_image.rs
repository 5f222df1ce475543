//! From an uploaded file to the portrait we serve (issue 29): checked before
//! it is decoded, decoded within limits, and encoded anew, so that nothing
//! of the file but its pixels survives — no EXIF (camera, GPS position),
//! XMP, ICC profile or comment, and no bytes a browser could take for
//! something other than an image.
//!
//! Each step refuses what it cannot take, with the reason staff read next
//! to the field: too large a file, too many pixels (a decompression bomb
//! says so in its header, and is refused before anything is allocated for
//! it), not an image we read, too small to show.
use crate::api::portraits::RATIO;
use image::{DynamicImage, ImageFormat, ImageReader, Limits};
use std::io::Cursor;

/// The largest file taken: a phone's photo, well above what we keep.
pub const MAX_FILE_BYTES: usize = 12 * 1024 * 1024;
/// The largest side, and the most pixels, a file may declare: a 48-megapixel
/// phone photo passes, a 30,000 × 30,000 bomb does not.
pub const MAX_SIDE: u32 = 12_000;
pub const MAX_PIXELS: u64 = 50_000_000;
/// What the decoded pixels may weigh at most (a 50 MP photo in 8-bit RGB
/// is 150 MB; the same in 16-bit RGBA, 400 MB, is refused).
const MAX_DECODE_BYTES: u64 = 4 * MAX_PIXELS;

/// The widths served (CSS pixels × 1, 2 and 3 of the page's 128-pixel
/// portrait): a phone at three device pixels per CSS pixel takes the
/// largest, and stays within a first visit of 40 KB.
pub const WIDTHS: [u32; 3] = [128, 256, 384];
/// JPEG quality: faces stay clear at the sizes shown.
const QUALITY: u8 = 80;

/// Why a file is not taken, as the form's message key says it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    TooLarge,
    TooManyPixels,
    NotAnImage,
    TooSmall,
}

impl Refusal {
    pub fn key(self) -> &'static str {
        match self {
            Refusal::TooLarge => "form.portrait_too_large",
            Refusal::TooManyPixels => "form.portrait_too_many_pixels",
            Refusal::NotAnImage => "form.portrait_not_an_image",
            Refusal::TooSmall => "form.portrait_too_small",
        }
    }
}

/// One width of the portrait, as served.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rendition {
    pub width: u32,
    pub height: u32,
    /// A JPEG we wrote: nothing but the pixels.
    pub jpeg: Vec<u8>,
    /// The address's name: the hash of the bytes, so that the address of
    /// these bytes never serves other ones.
    pub hash: String,
}

/// The renditions of an uploaded file, widest last. CPU-bound: run it on a
/// blocking thread.
pub fn renditions(file: &[u8]) -> Result<Vec<Rendition>, Refusal> {
    if file.len() > MAX_FILE_BYTES {
        return Err(Refusal::TooLarge);
    }
    // One full-size copy at a time: the decoded pixels become opaque RGB
    // (and are dropped), and the 4:5 part is a view of that, not a copy.
    let rgb = flatten(decode(file)?);
    let (x, y, width, height) = cut_to_ratio(rgb.width(), rgb.height());
    if width < WIDTHS[0] {
        return Err(Refusal::TooSmall);
    }
    let cut = image::imageops::crop_imm(&rgb, x, y, width, height);
    WIDTHS
        .iter()
        .filter(|&&w| w <= width)
        .map(|&w| encode(&*cut, w))
        .collect()
}

/// The pixels, oriented as the camera meant: only after the header has
/// said the image is a size we take, and with the decoder held to it.
fn decode(file: &[u8]) -> Result<DynamicImage, Refusal> {
    let reader = |file| {
        ImageReader::new(Cursor::new(file))
            .with_guessed_format()
            .map_err(|_| Refusal::NotAnImage)
    };
    let header = reader(file)?;
    if !matches!(
        header.format(),
        Some(ImageFormat::Jpeg | ImageFormat::Png | ImageFormat::WebP)
    ) {
        return Err(Refusal::NotAnImage);
    }
    let (width, height) = header.into_dimensions().map_err(|_| Refusal::NotAnImage)?;
    if width > MAX_SIDE || height > MAX_SIDE || u64::from(width) * u64::from(height) > MAX_PIXELS {
        return Err(Refusal::TooManyPixels);
    }
    let mut body = reader(file)?;
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(MAX_DECODE_BYTES);
    body.limits(limits);
    let mut decoder = body.into_decoder().map_err(|_| Refusal::NotAnImage)?;
    // The decoder checks the sides, not what the pixels weigh: a small file
    // may declare 16-bit RGBA.
    if image::ImageDecoder::total_bytes(&decoder) > MAX_DECODE_BYTES {
        return Err(Refusal::TooManyPixels);
    }
    let orientation = image::ImageDecoder::orientation(&mut decoder).ok();
    let mut image = DynamicImage::from_decoder(decoder).map_err(|_| Refusal::NotAnImage)?;
    if let Some(orientation) = orientation {
        image.apply_orientation(orientation);
    }
    Ok(image)
}

/// The largest 4:5 part around the centre: (x, y, width, height).
fn cut_to_ratio(width: u32, height: u32) -> (u32, u32, u32, u32) {
    let (rw, rh) = RATIO;
    if u64::from(width) * u64::from(rh) > u64::from(height) * u64::from(rw) {
        let cut = height * rw / rh;
        ((width - cut) / 2, 0, cut, height)
    } else {
        let cut = width * rh / rw;
        (0, (height - cut) / 2, width, cut)
    }
}

/// Opaque RGB: a transparent part shows white, as on the page.
fn flatten(image: DynamicImage) -> image::RgbImage {
    if !image.color().has_alpha() {
        return image.into_rgb8();
    }
    let rgba = image.into_rgba8();
    let mut rgb = image::RgbImage::new(rgba.width(), rgba.height());
    for (to, from) in rgb.pixels_mut().zip(rgba.pixels()) {
        let [r, g, b, a] = from.0;
        let over_white = |c: u8| {
            let (c, a) = (u32::from(c), u32::from(a));
            u8::try_from((c * a + 255 * (255 - a) + 127) / 255).unwrap_or(u8::MAX)
        };
        to.0 = [over_white(r), over_white(g), over_white(b)];
    }
    rgb
}

fn encode<I>(rgb: &I, width: u32) -> Result<Rendition, Refusal>
where
    I: image::GenericImageView<Pixel = image::Rgb<u8>>,
{
    use sha2::Digest;
    let height = width * RATIO.1 / RATIO.0;
    let resized =
        image::imageops::resize(rgb, width, height, image::imageops::FilterType::CatmullRom);
    let mut jpeg = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, QUALITY)
        .encode_image(&resized)
        .map_err(|_| Refusal::NotAnImage)?;
    let digest = sha2::Sha256::digest(&jpeg);
    let hash = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
    Ok(Rendition {
        width,
        height,
        jpeg,
        hash,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png(width: u32, height: u32) -> Vec<u8> {
        let image = image::RgbaImage::from_fn(width, height, |x, y| {
            image::Rgba([
                (x % 256) as u8,
                (y % 256) as u8,
                90,
                if x < 10 { 0 } else { 255 },
            ])
        });
        let mut out = Vec::new();
        image
            .write_to(&mut Cursor::new(&mut out), ImageFormat::Png)
            .unwrap();
        out
    }

    #[test]
    fn a_picture_comes_back_in_each_width_it_can_fill_cut_to_four_by_five() {
        let made = renditions(&png(600, 400)).unwrap();
        let sizes: Vec<(u32, u32)> = made.iter().map(|r| (r.width, r.height)).collect();
        assert_eq!(
            sizes,
            [(128, 160), (256, 320)],
            "a 320-pixel-wide 4:5 cut fills two"
        );
        for rendition in &made {
            let back = image::load_from_memory(&rendition.jpeg).unwrap();
            assert_eq!(
                (back.width(), back.height()),
                (rendition.width, rendition.height)
            );
            assert_eq!(
                image::guess_format(&rendition.jpeg).unwrap(),
                ImageFormat::Jpeg
            );
            assert_eq!(rendition.hash.len(), 32);
        }
        assert_ne!(made[0].hash, made[1].hash);
    }

    #[test]
    fn what_is_not_a_picture_we_take_is_refused_with_its_reason() {
        assert_eq!(
            renditions(b"<html><script>alert(1)</script>"),
            Err(Refusal::NotAnImage)
        );
        assert_eq!(renditions(&png(100, 400)), Err(Refusal::TooSmall));
        let mut truncated = png(300, 400);
        truncated.truncate(truncated.len() / 2);
        assert_eq!(renditions(&truncated), Err(Refusal::NotAnImage));
        assert_eq!(
            renditions(&vec![0; MAX_FILE_BYTES + 1]),
            Err(Refusal::TooLarge)
        );
    }

    #[test]
    fn a_header_declaring_too_many_pixels_is_refused_before_decoding() {
        // A header claiming 30,000 × 30,000 followed by no pixel data:
        // refused for its size, not for the missing data.
        assert_eq!(
            renditions(&declared(30_000, 30_000, 8, 6)),
            Err(Refusal::TooManyPixels)
        );
    }

    /// A PNG whose header declares `width` × `height` pixels of `depth`
    /// bits and `colour` type, and which holds no pixel at all: whatever is
    /// refused for it is refused from the header alone.
    fn declared(width: u32, height: u32, depth: u8, colour: u8) -> Vec<u8> {
        let mut file = png(1, 1);
        let ihdr = 16;
        file[ihdr..ihdr + 4].copy_from_slice(&width.to_be_bytes());
        file[ihdr + 4..ihdr + 8].copy_from_slice(&height.to_be_bytes());
        file[ihdr + 8] = depth;
        file[ihdr + 9] = colour;
        let crc = crc_of(&file[12..29]);
        file[29..33].copy_from_slice(&crc.to_be_bytes());
        file
    }

    #[test]
    fn pixels_are_counted_and_weighed_before_any_is_decoded() {
        // Each side allowed, too many pixels in all.
        assert_eq!(
            renditions(&declared(11_000, 11_000, 8, 2)),
            Err(Refusal::TooManyPixels)
        );
        // 50 million pixels, allowed in 8-bit RGB, weigh 400 MB in 16-bit RGBA.
        assert_eq!(
            renditions(&declared(8_000, 6_250, 16, 6)),
            Err(Refusal::TooManyPixels)
        );
        // The same in 8-bit RGB passes the header, and fails only for its missing pixels.
        assert_eq!(
            renditions(&declared(8_000, 6_250, 8, 2)),
            Err(Refusal::NotAnImage)
        );
    }

    #[test]
    fn the_cut_is_the_largest_four_by_five_around_the_centre() {
        assert_eq!(cut_to_ratio(600, 400), (140, 0, 320, 400));
        assert_eq!(cut_to_ratio(400, 1000), (0, 250, 400, 500));
        assert_eq!(cut_to_ratio(400, 500), (0, 0, 400, 500));
    }

    /// PNG's CRC-32 of a chunk's type and data.
    fn crc_of(bytes: &[u8]) -> u32 {
        let mut crc = 0xffff_ffffu32;
        for byte in bytes {
            crc ^= u32::from(*byte);
            for _ in 0..8 {
                crc = if crc & 1 == 1 {
                    (crc >> 1) ^ 0xedb8_8320
                } else {
                    crc >> 1
                };
            }
        }
        !crc
    }
}
