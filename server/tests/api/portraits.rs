//! A person's portrait (issue 29): uploaded by the council holding the
//! case as a browser posts a form with a file; what the camera put in the
//! file (GPS position, camera, ICC profile, XMP, comment) never comes back,
//! as Pillow, an independent reader, sees it; shown on the person page,
//! cards, embed and JSON-LD only while consent covers it; a polyglot comes
//! back as our own JPEG; a decompression bomb is refused without being
//! decoded; a take-down deletes it. On both backends.
use crate::helpers::{count, post_file_as, record_consent, staff_member, Page, TestApp};
use crate::on_both_backends;
use app::domain::Role;

const PERSON: &str = "vahid-afkari";
const ACTION: &str = "solidarity-with-vahid-afkari";
const STAFF_PAGE: &str = "/staff/persons/vahid-afkari";
const UPLOAD: &str = "/api/staff/portrait";
const PHOTO_TOOL: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../end2end/images/photo.py");

/// Runs `photo.py COMMAND FILE` in a folder of its own, `input` written to
/// FILE first (if any): (what it printed, FILE's bytes after).
fn photo_tool(command: &str, input: Option<&[u8]>) -> (Vec<u8>, Vec<u8>) {
    let dir = std::env::temp_dir().join(format!("lumieres-portrait-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("file");
    if let Some(input) = input {
        std::fs::write(&path, input).unwrap();
    }
    let out = std::process::Command::new("python3")
        .args([PHOTO_TOOL, command])
        .arg(&path)
        .output()
        .expect("python3 runs (make test installs Pillow from PyPI)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let bytes = std::fs::read(&path).unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    (out.stdout, bytes)
}

/// A file `photo.py` makes (`make`, `polyglot`, `bomb`).
pub fn made(command: &str) -> Vec<u8> {
    photo_tool(command, None).1
}

/// What Pillow finds in `bytes` besides the pixels.
fn inspect(bytes: &[u8]) -> serde_json::Value {
    serde_json::from_slice(&photo_tool("inspect", Some(bytes)).0).unwrap()
}

/// The answer to a GET as bytes, with its headers.
async fn fetch(
    app: &TestApp,
    path: &str,
    headers: &[(&str, &str)],
) -> (u16, reqwest::header::HeaderMap, Vec<u8>) {
    let mut request = app.client.get(format!("{}{path}", app.address));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    (status, headers, response.bytes().await.unwrap().to_vec())
}

/// The portrait form as filled in for Brussels (French and Dutch required).
fn alt_texts<'a>(fr: &'a str, nl: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("lang", "en"),
        ("person", PERSON),
        ("alt_en", ""),
        ("alt_fr", fr),
        ("alt_nl", nl),
    ]
}

async fn upload(app: &TestApp, cookie: &str, fields: &[(&str, &str)], file: Vec<u8>) -> Page {
    post_file_as(app, cookie, UPLOAD, STAFF_PAGE, fields, "portrait", file).await
}

/// The `srcset` addresses of the first `img.portrait` on `page`, by width.
fn srcset(page: &Page) -> Vec<(String, u32)> {
    let set = page.attr("img.portrait", "srcset").expect("a portrait");
    set.split(", ")
        .map(|candidate| {
            let (path, width) = candidate.split_once(' ').unwrap();
            (
                path.to_owned(),
                width.trim_end_matches('w').parse().unwrap(),
            )
        })
        .collect()
}

/// A statement the test runs around the app.
async fn run_sql(app: &TestApp, sql: &'static str) {
    app::on_pool!(&app.store.db, |pool| sqlx::query(sql)
        .execute(pool)
        .await
        .map(|_| ()))
    .unwrap();
}

/// The most this process has held in memory so far (KiB).
fn peak_memory_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap()
}

on_both_backends! {
    async fn a_portrait_comes_back_without_what_the_camera_recorded_and_only_with_consent(app: &TestApp) {
        let council = staff_member(app, "camille@brussels.example", Role::Council, Some("brussels")).await;
        let comms = staff_member(app, "comms@brussels.example", Role::Comms, None).await;
        let photo = made("make");
        let carried = inspect(&photo);
        assert_eq!(carried["gps"], 4, "the test photo carries a GPS position: {carried}");
        assert_eq!(carried["icc"], true);

        // Bad forms come back with a message next to each field, and store nothing.
        upload(app, &council, &alt_texts("", ""), photo.clone()).await;
        let page = app.get_with(STAFF_PAGE, &[("cookie", &council)]).await;
        assert_eq!(page.texts("#portrait-alt_fr-error"), ["Say in words what the portrait shows, in this language."]);
        assert_eq!(page.texts("#portrait-alt_nl-error"), ["Say in words what the portrait shows, in this language."]);
        assert!(page.texts("#portrait-alt_en-error").is_empty(), "English is not required in Brussels");
        upload(app, &council, &alt_texts("Portrait", "Portret"), b"<html><body>not a photo</body></html>".to_vec()).await;
        let page = app.get_with(STAFF_PAGE, &[("cookie", &council)]).await;
        assert_eq!(page.texts("#portrait-portrait-error"), ["This is not a JPEG, PNG or WebP picture that can be read."]);
        assert_eq!(page.attr("#portrait-alt_fr", "value").as_deref(), Some("Portrait"), "what was typed comes back");
        // The person is public, and consent ("public sources only") does not cover a portrait.
        upload(app, &council, &alt_texts("Portrait", "Portret"), photo.clone()).await;
        let page = app.get_with(STAFF_PAGE, &[("cookie", &council)]).await;
        assert_eq!(
            page.texts("#portrait-portrait-error"),
            ["Consent to publish this person’s portrait is not on record: record it below, or remove the portrait, while the person is public."]
        );
        assert_eq!(count(app, "SELECT COUNT(*) FROM portraits").await, 0);
        // Communications staff do not change cases.
        assert_eq!(upload(app, &comms, &alt_texts("Portrait", "Portret"), photo.clone()).await.status, 403);

        // With consent to the portrait, it is taken.
        record_consent(app, &council, PERSON, &["name", "portrait", "story", "location"]).await;
        let saved = upload(app, &council, &alt_texts("Portrait de face", "Portret van voren"), photo).await;
        assert_eq!(saved.location().as_deref(), Some(STAFF_PAGE));
        let page = app.get_with(STAFF_PAGE, &[("cookie", &council)]).await;
        assert_eq!(page.texts(".notice"), ["The portrait is saved."]);
        assert_eq!(page.texts(".staff-portrait .update-state"), ["Shown to the public."]);
        assert_eq!(count(app, "SELECT COUNT(*) FROM audit_log WHERE action = 'portrait.upload'").await, 1);

        // The person page shows it in every width, in the reader's language.
        let person = app.get_with(&format!("/fr/persons/{PERSON}"), &[]).await;
        assert_eq!(person.attr(".person-header img.portrait", "alt").as_deref(), Some("Portrait de face"));
        assert_eq!(person.attr(".person-header img.portrait", "width").as_deref(), Some("128"));
        assert_eq!(person.attr(".person-header img.portrait", "height").as_deref(), Some("160"));
        let widths: Vec<u32> = srcset(&person).iter().map(|(_, w)| *w).collect();
        assert_eq!(widths, [128, 256, 384]);
        // English has no text of its own: the French one, marked as French.
        let english = app.get(&format!("/persons/{PERSON}")).await;
        assert_eq!(english.attr(".person-header img.portrait", "lang").as_deref(), Some("fr"));
        for (path, width) in srcset(&person) {
            let (status, headers, bytes) = fetch(app, &path, &[]).await;
            assert_eq!(status, 200, "{path}");
            assert_eq!(headers["content-type"], "image/jpeg");
            assert_eq!(headers["x-content-type-options"], "nosniff");
            // Kept a year by the browser that fetched it, by no shared
            // cache: a take-down reaches every copy but those.
            assert_eq!(headers["cache-control"], "private, max-age=31536000, immutable");
            let found = inspect(&bytes);
            assert_eq!(found["format"], "JPEG");
            assert_eq!(found["size"], serde_json::json!([width, width * 5 / 4]), "{path}");
            assert_eq!(
                (&found["exif_tags"], &found["gps"], &found["icc"], &found["xmp"], &found["comment"]),
                (&serde_json::json!(0), &serde_json::json!(0), &serde_json::json!(false), &serde_json::json!(false), &serde_json::json!(false)),
                "nothing but pixels in {path}: {found}"
            );
        }
        // JSON-LD names the widest; the card and the embed show it too.
        let data = person.texts("script[type='application/ld+json']").join("");
        let data: serde_json::Value = serde_json::from_str(&data).unwrap();
        let (widest, _) = srcset(&person).pop().unwrap();
        assert_eq!(data["image"]["contentUrl"], format!("{}{widest}", app.address));
        assert_eq!(person.attr("meta[property='og:image']", "content"), Some(format!("{}{widest}", app.address)));
        let api: serde_json::Value = serde_json::from_str(&app.get(&format!("/api/v1/persons/{PERSON}?lang=fr")).await.body).unwrap();
        let api = &api["person"];
        assert_eq!(api["portrait"]["files"][2]["path"], widest.as_str());
        assert_eq!(api["portrait"]["files"][2]["width"], 384);
        assert_eq!(api["portrait"]["alt"], serde_json::json!({ "text": "Portrait de face", "lang": "fr" }));
        let list = app.get("/persons").await;
        assert!(list.attr(&format!("[data-person='{PERSON}'] img.portrait"), "srcset").is_some(), "the card");
        let embed = app.get(&format!("/actions/{ACTION}/embed")).await;
        assert_eq!(embed.attr("img.portrait", "src").as_deref(), Some(srcset(&person)[0].0.as_str()));

        // A first visit on a phone (three device pixels per CSS pixel, so
        // the 384-pixel width): the page as sent, the stylesheet (here
        // before minifying: at most what is sent) and the portrait.
        let sent = app.raw_get(&format!("/persons/{PERSON}"), &[
            ("accept-encoding", "gzip, deflate, br, zstd"), ("accept-language", "fr-BE"),
        ]).await;
        assert_eq!(sent.headers()["content-encoding"], "br");
        let html = sent.bytes().await.unwrap();
        let css = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../style/main.css")).unwrap();
        let mut css_br = Vec::new();
        brotli::BrotliCompress(&mut css.as_slice(), &mut css_br, &brotli::enc::BrotliEncoderParams::default()).unwrap();
        let (_, _, image) = fetch(app, &widest, &[]).await;
        let first_visit = html.len() + css_br.len() + image.len();
        println!("first visit on a phone: page {} + stylesheet {} + portrait {} = {first_visit} bytes", html.len(), css_br.len(), image.len());
        assert!(first_visit <= 40 * 1024, "{first_visit} bytes");

        // Staff see it at their own address, uncached; the public never there.
        let staff_src = page.attr(".staff-portrait img", "src").unwrap();
        assert!(staff_src.starts_with("/staff/portraits/"));
        let (status, headers, _) = fetch(app, &staff_src, &[("cookie", &council)]).await;
        assert_eq!((status, headers["cache-control"].to_str().unwrap()), (200, "private, no-store"));
        assert_eq!(fetch(app, &staff_src, &[]).await.0, 401);

        // Consent that no longer covers the portrait, whatever else holds:
        // neither the image nor the page shows it.
        run_sql(app, "UPDATE person_consents SET covers_portrait = FALSE").await;
        assert_eq!(fetch(app, &widest, &[]).await.0, 404);
        // (The staff pages change consent only with the person: this test's
        // change went around them, so the cache is told by hand.)
        run_sql(app, "UPDATE content_version SET version = version + 1").await;
        let page_now = app.get(&format!("/persons/{PERSON}")).await;
        assert_eq!(page_now.status, 200, "still public");
        assert!(page_now.attr("img.portrait", "src").is_none());
        run_sql(app, "UPDATE person_consents SET covers_portrait = TRUE").await;
        assert_eq!(fetch(app, &widest, &[]).await.0, 200);

        // Consent anew without the portrait: the person is no longer shown
        // (consent covers less than the page shows), nor the portrait.
        record_consent(app, &council, PERSON, &["name", "story", "location"]).await;
        assert_eq!(fetch(app, &widest, &[]).await.0, 404);
        assert_eq!(fetch(app, &staff_src, &[("cookie", &council)]).await.0, 200, "kept for staff");

        // A take-down deletes it.
        take_down(app, &council).await;
        assert_eq!(count(app, "SELECT COUNT(*) FROM portrait_files").await, 0);
        assert_eq!(count(app, "SELECT COUNT(*) FROM portrait_alt_texts").await, 0);
        assert_eq!(fetch(app, &staff_src, &[("cookie", &council)]).await.0, 404);
        assert_eq!(count(app, "SELECT COUNT(*) FROM audit_log WHERE action = 'portrait.take_down'").await, 1);
    }

    async fn a_polyglot_comes_back_as_our_jpeg_and_a_bomb_is_refused_unopened(app: &TestApp) {
        let council = staff_member(app, "camille@brussels.example", Role::Council, Some("brussels")).await;
        record_consent(app, &council, PERSON, &["name", "portrait", "story", "location"]).await;

        // A 30,000 × 30,000 PNG: under a megabyte sent, 900 MB decoded.
        let bomb = made("bomb");
        assert!(bomb.len() < 1024 * 1024);
        let before = peak_memory_kib();
        upload(app, &council, &alt_texts("Portrait", "Portret"), bomb).await;
        let page = app.get_with(STAFF_PAGE, &[("cookie", &council)]).await;
        assert_eq!(
            page.texts("#portrait-portrait-error"),
            ["The picture has too many pixels: at most 12,000 on a side and 50 million in all."]
        );
        let grown_mib = (peak_memory_kib() - before) / 1024;
        assert!(grown_mib < 300, "the bomb was not decoded: the peak grew by {grown_mib} MiB");
        assert_eq!(count(app, "SELECT COUNT(*) FROM portraits").await, 0);

        // A JPEG whose comment is an HTML page with a script.
        let polyglot = made("polyglot");
        assert!(polyglot.windows(7).any(|w| w == b"<script"));
        let saved = upload(app, &council, &alt_texts("Portrait", "Portret"), polyglot).await;
        assert_eq!(saved.location().as_deref(), Some(STAFF_PAGE));
        let person = app.get(&format!("/persons/{PERSON}")).await;
        for (path, _) in srcset(&person) {
            let (status, headers, bytes) = fetch(app, &path, &[("accept", "text/html")]).await;
            assert_eq!(status, 200);
            assert_eq!(headers["content-type"], "image/jpeg");
            assert_eq!(headers["x-content-type-options"], "nosniff");
            assert!(headers["content-security-policy"].to_str().unwrap().contains("sandbox"));
            assert!(!bytes.windows(5).any(|w| w.eq_ignore_ascii_case(b"<html")), "{path} carries no page");
            assert_eq!(inspect(&bytes)["comment"], false);
        }
        // A form that is not multipart is refused before anything reads it
        // as one; a body past its limit before it is read.
        let plain = crate::helpers::post_as(app, &council, UPLOAD, STAFF_PAGE, &alt_texts("Portrait", "Portret")).await;
        assert_eq!(plain.status, 415);
        assert_eq!(app.post_form(UPLOAD, STAFF_PAGE, &[("person", PERSON)]).await.status, 415);
        let huge = "x".repeat(2 * 1024 * 1024);
        let too_large = app.post_form("/api/sign", &format!("/actions/{ACTION}"), &[("full_name", huge.as_str())]).await;
        assert_eq!(too_large.status, 413);

        // An address that is not one of ours is no file.
        assert_eq!(fetch(app, "/portraits/..%2F..%2Fetc%2Fpasswd", &[]).await.0, 404);
        assert_eq!(fetch(app, &format!("/portraits/{}.jpg", "0".repeat(32)), &[]).await.0, 404);

        // Removed by staff: gone from the page, audited.
        crate::helpers::post_as(app, &council, "/api/staff/remove-portrait", STAFF_PAGE, &[("lang", "en"), ("person", PERSON)]).await;
        assert!(app.get(&format!("/persons/{PERSON}")).await.attr("img.portrait", "src").is_none());
        assert_eq!(count(app, "SELECT COUNT(*) FROM audit_log WHERE action = 'portrait.remove'").await, 1);
    }
}

async fn take_down(app: &TestApp, council: &str) {
    let taken = crate::helpers::post_as(
        app,
        council,
        "/api/staff/take-down",
        STAFF_PAGE,
        &[
            ("lang", "en"),
            ("person", PERSON),
            ("reason", "The family asked us to."),
            ("confirm", "on"),
        ],
    )
    .await;
    assert_eq!(taken.location().as_deref(), Some(STAFF_PAGE));
}
