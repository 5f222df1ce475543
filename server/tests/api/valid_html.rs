//! Valid HTML (issue 31): every public page — found by following the links
//! of the home page in each language, as a visitor would —, the embeds, the
//! error pages and the signing form's answers, read by an independent judge,
//! the W3C's Nu HTML checker (`vnu-jar` from npm, on Debian's Java): not
//! one error. Markup does not depend on the backend: SQLite only.
use crate::helpers::{Backend, Page, TestApp};
use crate::sign_form::{form, ACTION};
use std::collections::{BTreeMap, BTreeSet, VecDeque};

const VNU: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../end2end/node_modules/vnu-jar/build/dist/vnu.jar"
);

/// Past this many pages the crawl stops: the demo has far fewer, and a
/// page that linked to endless new addresses would show here.
const MOST_PAGES: usize = 400;

/// Where a visitor starts, and what no public page links to.
const SEEDS: [&str; 18] = [
    "/",
    "/fr",
    "/nl",
    "/no-such-page",
    "/fr/persons/nobody",
    "/persons?status=not-a-status",
    "/nl/actions?state=not-a-state",
    "/signatures/confirm?token=not-a-token",
    "/fr/signatures/withdraw?token=not-a-token",
    "/my-data/view?token=not-a-token",
    "/follows/confirm?token=not-a-token",
    "/nl/persons/vahid-afkari?follow=sent",
    "/staff/login",
    "/nl/staff/login",
    // Search: hits with marked words, none, a page that is not there.
    "/search?q=hathloul",
    "/fr/search?q=d%C3%A9tenues",
    "/nl/search?q=zzyzx",
    "/search?q=arrest&page=99",
];

#[tokio::test]
async fn every_public_page_is_valid_html_in_each_language() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let mut pages = crawl(&app).await;
    for lang in ["", "/fr", "/nl"] {
        for action in actions(&pages) {
            let path = format!("{lang}/actions/{action}/embed");
            let embed = app.get(&path).await;
            assert_eq!(embed.status, 200, "{path}");
            pages.insert(path, embed);
        }
    }
    for (name, page) in signing_answers(&app).await {
        pages.insert(name, page);
    }

    let with_islands = pages
        .values()
        .filter(|page| page.body.contains("<leptos-island"))
        .count();
    assert!(pages.len() >= 80, "the crawl found {} pages", pages.len());
    assert!(
        with_islands >= 10 && pages.len() - with_islands >= 10,
        "pages with islands and without are both judged ({with_islands} of {})",
        pages.len()
    );
    for lang in ["fr", "nl"] {
        assert!(
            pages
                .keys()
                .any(|path| path.starts_with(&format!("/{lang}/persons/"))),
            "the crawl reached the persons' pages in {lang}"
        );
    }

    let skips: Vec<String> = pages
        .iter()
        .filter_map(|(path, page)| heading_skip(page).map(|skip| format!("{path}: {skip}")))
        .collect();
    assert!(
        skips.is_empty(),
        "heading levels skip:\n{}",
        skips.join("\n")
    );

    let errors = judged(&app, &pages).await;
    assert!(
        errors.is_empty(),
        "the HTML checker found {} errors in {} pages:\n{}",
        errors.len(),
        pages.len(),
        errors.join("\n")
    );
    app.teardown().await;
}

/// Every HTML page reachable from the seeds by same-site links and GET
/// forms' actions, by path and query.
async fn crawl(app: &TestApp) -> BTreeMap<String, Page> {
    let mut pages = BTreeMap::new();
    let mut seen: BTreeSet<String> = SEEDS.iter().map(|s| s.to_string()).collect();
    let mut queue: VecDeque<String> = SEEDS.iter().map(|s| s.to_string()).collect();
    while let Some(path) = queue.pop_front() {
        assert!(pages.len() < MOST_PAGES, "more than {MOST_PAGES} pages");
        let page = app.get(&path).await;
        let is_html = page
            .headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("text/html"));
        // A redirect's target is in the queue when a page links to it.
        if !is_html || (300..400).contains(&page.status) {
            continue;
        }
        for link in links(&page) {
            if seen.insert(link.clone()) {
                queue.push_back(link);
            }
        }
        pages.insert(path, page);
    }
    pages
}

/// The same-site addresses a page leads to, without their fragment: what
/// the server renders as a page (not its assets, feeds or files).
fn links(page: &Page) -> Vec<String> {
    let html = page.html();
    let anchors = scraper::Selector::parse("a[href]").unwrap();
    let forms =
        scraper::Selector::parse("form[method=get][action], form:not([method])[action]").unwrap();
    html.select(&anchors)
        .filter_map(|a| a.value().attr("href"))
        .chain(html.select(&forms).filter_map(|f| f.value().attr("action")))
        .filter_map(|href| href.split('#').next())
        .filter(|href| href.starts_with('/') && !href.starts_with("//"))
        .filter(|href| {
            let path = href.split('?').next().unwrap_or_default();
            !path.starts_with("/pkg/")
                && !path.starts_with("/api/")
                && !path.starts_with("/data/")
                && ![".atom", ".json", ".csv", ".svg", ".xml", ".webp", ".jpg"]
                    .iter()
                    .any(|file| path.ends_with(file))
        })
        .map(str::to_owned)
        .collect()
}

/// Where a page's headings first skip a level (an `h1` then an `h3`), or
/// begin below `h1`: a screen reader's outline of the page has a hole there.
fn heading_skip(page: &Page) -> Option<String> {
    let headings = scraper::Selector::parse("h1, h2, h3, h4, h5, h6").unwrap();
    let html = page.html();
    let mut previous = 0;
    for heading in html.select(&headings) {
        let level = heading.value().name()[1..].parse::<u32>().unwrap_or(0);
        if level > previous + 1 {
            let text: String = heading.text().collect();
            return Some(format!("h{level} «{}» after h{previous}", text.trim()));
        }
        previous = level;
    }
    None
}

/// The support actions' slugs among the pages.
fn actions(pages: &BTreeMap<String, Page>) -> BTreeSet<String> {
    pages
        .keys()
        .filter_map(|path| path.strip_prefix("/actions/"))
        .map(|rest| rest.split(['?', '/']).next().unwrap_or_default().to_owned())
        .filter(|slug| !slug.is_empty())
        .collect()
}

/// The action page as the signing form's answers leave it, JavaScript off:
/// errors next to their fields (fr), "check your mail" (nl), and the
/// confirmation the mail's link opens.
async fn signing_answers(app: &TestApp) -> Vec<(String, Page)> {
    let mut answers = Vec::new();
    for (lang, email) in [("fr", "pas une adresse"), ("nl", "lezer@example.org")] {
        let from = format!("/{lang}/actions/{ACTION}");
        let fields = form(email, lang);
        let answer = app.post_form("/api/sign", &from, &fields).await;
        let flash = answer.cookie("lumieres_sign").expect("the answer's flash");
        let shown = app.get_with(&from, &[("cookie", &flash)]).await;
        assert!(shown.body.contains("<leptos-island"), "{from}");
        answers.push((format!("{from} (answered, {email})"), shown));
    }
    let mail = app.mails().await.pop().expect("the confirmation mail");
    let confirm = mail
        .body_text
        .split_whitespace()
        .find_map(|word| word.strip_prefix(app.address.as_str()))
        .filter(|link| link.contains("/signatures/confirm?token="))
        .expect("the confirmation link")
        .to_owned();
    let confirmed = app.get(&confirm).await;
    assert_eq!(confirmed.status, 200);
    answers.push((
        "/nl/signatures/confirm (a real token)".to_owned(),
        confirmed,
    ));
    answers
}

/// Each page in a file of its own, all judged in one run of the checker:
/// its errors as "page: line: message «extract»".
async fn judged(app: &TestApp, pages: &BTreeMap<String, Page>) -> Vec<String> {
    assert!(
        std::path::Path::new(VNU).exists(),
        "{VNU} is missing: `make npm` installs the HTML checker"
    );
    let port = app.address.rsplit(':').next().unwrap_or_default();
    let dir = std::env::temp_dir().join(format!("lumieres-html-{}-{port}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut named = BTreeMap::new();
    for (number, (path, page)) in pages.iter().enumerate() {
        let file = dir.join(format!("{number:03}.html"));
        std::fs::write(&file, &page.body).unwrap();
        named.insert(format!("{number:03}.html"), path.clone());
    }
    let output = tokio::process::Command::new("java")
        .args(["-jar", VNU, "--format", "json", "--stdout", "--errors-only"])
        .arg(&dir)
        .output()
        .await
        .expect("java runs (make test installs Java and the HTML checker)");
    std::fs::remove_dir_all(&dir).ok();
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap_or_else(|_| {
        panic!(
            "the checker's report: {}\n{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    });
    report["messages"]
        .as_array()
        .expect("the report's messages")
        .iter()
        .filter(|message| message["type"] != "info")
        .map(|message| {
            let file = message["url"].as_str().unwrap_or_default();
            let file = file.rsplit('/').next().unwrap_or_default();
            format!(
                "{}: line {}: {} «{}»",
                named.get(file).map_or(file, String::as_str),
                message["lastLine"],
                message["message"].as_str().unwrap_or_default(),
                message["extract"].as_str().unwrap_or_default().trim(),
            )
        })
        .collect()
}
