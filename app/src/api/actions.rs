//! Support actions as the public reads them: what citizens sign, how far the
//! count has come, and who signed (first names of those who asked to be shown).
use crate::domain::{ActionState, Availability, CountryCode, DeliveryMethod, PartialDate, Slug};
use crate::error::AppError;
use crate::i18n::{LangText, Locale};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SupportActionDetail {
    pub slug: Slug,
    pub title: LangText,
    /// Sanitized when stored.
    pub body_html: LangText,
    pub addressee: LangText,
    pub goal: i64,
    pub person_slug: Slug,
    pub person_name: String,
    pub opens_on: PartialDate,
    pub closes_on: Option<PartialDate>,
    pub availability: Availability,
    /// Confirmed online signatures: pending ones do not count.
    pub confirmed: i64,
    /// Signatures collected on paper: they count with the confirmed ones.
    pub paper: i64,
    /// Confirmed signatures per day (UTC), from the first such day to the
    /// last, quiet days included as zero.
    pub per_day: Vec<(PartialDate, i64)>,
    /// The latest confirmed signers who asked to be shown: first name and place only.
    pub recent_signers: Vec<RecentSigner>,
    /// When, to whom and how its signatures were handed over, once they were.
    pub delivery: Option<Delivery>,
    /// What the addressee answered, or that they have not, once delivered.
    pub answer: Option<Answer>,
}

/// What came back from the addressee of delivered signatures.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Answer {
    Given(Response),
    /// No response yet; one is expected by this day.
    AwaitedBy(PartialDate),
    /// No response by this day, which has passed: silence is news too.
    NoneBy(PartialDate),
}

/// The addressee's response, in the page's language where translated.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Response {
    pub responded_on: PartialDate,
    pub summary: LangText,
    /// Sanitized when stored.
    pub body_html: Option<LangText>,
    pub source_url: Option<String>,
}

/// A support action's signatures, handed over: what the public reads of it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Delivery {
    pub delivered_on: PartialDate,
    /// Written in one language, said when it is not the page's.
    pub recipient: LangText,
    pub method: DeliveryMethod,
    /// Sanitized when stored; in the recipient's language.
    pub note_html: Option<LangText>,
    /// A web address (checked when stored): a photo, a letter, a press release.
    pub proof_url: Option<String>,
    /// The day after which no answer is news, if staff set one.
    pub answer_by: Option<PartialDate>,
    /// The counts handed over, online (confirmed) and on paper, as they
    /// stood when the delivery was recorded.
    pub signatures: i64,
    pub paper_signatures: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecentSigner {
    pub first_name: String,
    pub place: Option<String>,
}

impl RecentSigner {
    /// Shows the first word of the name only: the signer agreed to be named
    /// on the page, not to be identifiable.
    pub fn from_stored(name: &str, place: Option<String>) -> Self {
        Self {
            first_name: name
                .split_whitespace()
                .next()
                .unwrap_or_default()
                .to_owned(),
            place: place.filter(|p| !p.trim().is_empty()),
        }
    }
}

/// The width of one bar of a count history.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Interval {
    Hour,
    Day,
}

impl Interval {
    pub const ALL: [Interval; 2] = [Interval::Hour, Interval::Day];

    /// Its name in the API's `interval`.
    pub fn name(self) -> &'static str {
        match self {
            Interval::Hour => "hour",
            Interval::Day => "day",
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|interval| interval.name() == name)
    }

    pub fn seconds(self) -> i64 {
        match self {
            Interval::Hour => 3_600,
            Interval::Day => 86_400,
        }
    }
}

/// Fewer signers than this in one place or country are never shown as a
/// group: they are counted in "other", so that nobody is picked out by where
/// they live.
pub const SMALLEST_PUBLIC_GROUP: i64 = 5;

/// Confirmed signatures by place and by country, largest first, each group
/// of fewer than [`SMALLEST_PUBLIC_GROUP`] signers merged into `other`.
///
/// What signers typed as their place is never shown as they typed it: a
/// small village, padded with a few signatures of one's own, would tell who
/// else signed from there. A place counts only as one of two kinds of wide
/// area: a municipality of the network (typed as its name or the last words
/// of it, in any of its languages: "Bruxelles" for "Ville de Bruxelles"),
/// or a postcode area (the first two digits: "1050" counts in "10xx").
/// Anything else counts in `other`. Signers whose place is not known (not
/// given, or removed with their other details after the retention period)
/// are counted apart.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PlaceTally {
    pub places: Vec<(String, i64)>,
    pub places_other: i64,
    pub places_not_known: i64,
    pub countries: Vec<(CountryCode, i64)>,
    pub countries_other: i64,
    pub countries_not_known: i64,
}

/// A municipality of the network as a place signers may type: its names in
/// every language, and the one it is shown by.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KnownPlace {
    pub names: Vec<String>,
    pub shown_as: String,
}

/// The wide area a typed place counts in, if any.
fn area_of(typed: &str, known: &[KnownPlace]) -> Option<String> {
    let typed = typed
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase();
    if (4..=5).contains(&typed.len()) && typed.bytes().all(|b| b.is_ascii_digit()) {
        return Some(format!("{}{}", &typed[..2], "x".repeat(typed.len() - 2)));
    }
    if typed.is_empty() {
        return None;
    }
    known
        .iter()
        .find(|place| {
            place.names.iter().any(|name| {
                let name = name.to_lowercase();
                name == typed || name.ends_with(&format!(" {typed}"))
            })
        })
        .map(|place| place.shown_as.clone())
}

impl PlaceTally {
    /// From (place, country code, count) rows as stored, and the
    /// municipalities of the network.
    pub fn of(rows: &[(Option<String>, Option<String>, i64)], known: &[KnownPlace]) -> Self {
        use std::collections::BTreeMap;
        let mut tally = PlaceTally::default();
        let mut places: BTreeMap<String, i64> = BTreeMap::new();
        let mut countries: BTreeMap<String, i64> = BTreeMap::new();
        for (place, country, n) in rows {
            match place.as_deref().filter(|p| !p.trim().is_empty()) {
                None => tally.places_not_known += n,
                Some(typed) => match area_of(typed, known) {
                    Some(area) => *places.entry(area).or_default() += n,
                    None => tally.places_other += n,
                },
            }
            match country {
                Some(code) => *countries.entry(code.clone()).or_default() += n,
                None => tally.countries_not_known += n,
            }
        }
        for (area, total) in places {
            if total < SMALLEST_PUBLIC_GROUP {
                tally.places_other += total;
            } else {
                tally.places.push((area, total));
            }
        }
        for (code, total) in countries {
            match CountryCode::parse(&code) {
                Ok(code) if total >= SMALLEST_PUBLIC_GROUP => tally.countries.push((code, total)),
                _ => tally.countries_other += total,
            }
        }
        tally
            .places
            .sort_by(|(a, m), (b, n)| n.cmp(m).then_with(|| a.cmp(b)));
        tally
            .countries
            .sort_by(|(a, m), (b, n)| n.cmp(m).then_with(|| a.as_str().cmp(b.as_str())));
        tally
    }
}

#[server]
pub async fn get_support_action(
    slug: Slug,
    lang: Locale,
) -> Result<Option<SupportActionDetail>, AppError> {
    let db = crate::server::context::db()?;
    match on_server::detail(&db, &slug, lang).await? {
        None if crate::records::takedown::action_gone(&db, slug.as_str()).await? => {
            Err(AppError::Gone)
        }
        detail => Ok(detail),
    }
}

/// The filters of `/actions`, parsed from its query string.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActionFilter {
    /// The municipality running the action.
    pub municipality: Option<Slug>,
    pub state: Option<ActionState>,
}

impl ActionFilter {
    /// In the order of the form.
    pub const FIELDS: [&'static str; 2] = ["municipality", "state"];

    /// Parses query parameters; empty values mean "any".
    pub fn parse<'a>(
        mut get: impl FnMut(&str) -> Option<&'a str>,
    ) -> Result<Self, crate::api::persons::FilterError> {
        use crate::api::persons::field;
        Ok(Self {
            municipality: field(
                "municipality",
                "filters.action_municipality",
                get("municipality"),
                Slug::parse,
            )?,
            state: field("state", "filters.state", get("state"), ActionState::parse)?,
        })
    }

    pub fn is_empty(&self) -> bool {
        self == &Self::default()
    }
}

/// A support action as lists show it: enough to choose it and sign.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActionCard {
    pub slug: Slug,
    pub title: LangText,
    pub person_slug: Slug,
    pub person_name: String,
    pub goal: i64,
    /// Confirmed online and on paper, as the person's page counts them.
    pub counted: i64,
    pub availability: Availability,
    pub opens_on: PartialDate,
    pub closes_on: Option<PartialDate>,
    /// Open with a deadline: the days after today it still takes
    /// signatures (0: today is the last day).
    pub days_left: Option<i64>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActionList {
    pub actions: Vec<ActionCard>,
    /// What the municipality filter offers: those running an action for a
    /// public person.
    pub municipalities: Vec<crate::api::MunicipalityRef>,
}

#[server]
pub async fn list_actions(filter: ActionFilter, lang: Locale) -> Result<ActionList, AppError> {
    let db = crate::server::context::db()?;
    Ok(ActionList {
        actions: on_server::cards(&db, &filter, lang).await?,
        municipalities: on_server::municipalities_with_actions(&db, lang).await?,
    })
}

#[cfg(feature = "ssr")]
pub mod on_server {
    use super::*;
    use crate::on_pool;
    use crate::records::translations::stored_text;
    use crate::server::clock::{availability_today, date as partial};
    use crate::server::db::{stored_slug, Db};
    use crate::server::AppState;
    use crate::translated;
    use crate::translation_join;
    use chrono::NaiveDate;

    #[derive(sqlx::FromRow)]
    struct DetailRow {
        id: i64,
        slug: String,
        title: String,
        title_lang: String,
        body_html: String,
        body_html_lang: String,
        addressee: String,
        addressee_lang: String,
        goal: i64,
        person_slug: String,
        person_name: String,
        opens_on: NaiveDate,
        closes_on: Option<NaiveDate>,
        is_open: bool,
        delivered: bool,
        confirmed: i64,
        paper: i64,
    }

    /// The one reading of a support action as the public sees it, its
    /// texts in the language bound to `$lang`.
    macro_rules! action_select {
        ($lang:literal) => {
            concat!(
                "SELECT a.id, a.slug, ", translated!("a"."title"), ", ", translated!("a"."body_html"), ", ",
                translated!("a"."addressee"), ", CAST(a.goal AS BIGINT) AS goal,
                        p.slug AS person_slug, p.full_name AS person_name, a.opens_on, a.closes_on, a.is_open, ",
                crate::delivered!(), " AS delivered, ",
                crate::confirmed_count!(),
                " AS confirmed, ",
                crate::paper_count!(),
                " AS paper
                   FROM support_actions a JOIN persons p ON p.id = a.person_id",
                translation_join!("support_action_translations"."support_action_id", "a"."title", $lang),
                translation_join!("support_action_translations"."support_action_id", "a"."body_html", $lang),
                translation_join!("support_action_translations"."support_action_id", "a"."addressee", $lang)
            )
        };
    }

    /// A support action of a public person as the open data lists it.
    pub struct ActionListing {
        pub slug: Slug,
        pub person_slug: Slug,
        pub person_name: String,
        pub title: LangText,
        pub addressee: LangText,
        pub goal: i64,
        pub opens_on: PartialDate,
        pub closes_on: Option<PartialDate>,
        pub availability: Availability,
        pub confirmed: i64,
        pub paper: i64,
    }

    /// Every support action of a public person, by slug.
    pub async fn public_actions(db: &Db, lang: Locale) -> Result<Vec<ActionListing>, sqlx::Error> {
        let rows: Vec<DetailRow> = on_pool!(db, |pool| sqlx::query_as(concat!(
            action_select!("$1"),
            " WHERE p.is_public ORDER BY a.slug"
        ))
        .bind(lang.code())
        .fetch_all(pool)
        .await)?;
        rows.into_iter().map(listing_of).collect()
    }

    /// The support actions of public persons the filter picks: the open
    /// ones first, the soonest to close first; then those to come, the
    /// soonest first; then the closed and the delivered, the latest first.
    pub async fn cards(
        db: &Db,
        filter: &ActionFilter,
        lang: Locale,
    ) -> Result<Vec<ActionCard>, sqlx::Error> {
        let rows: Vec<DetailRow> = on_pool!(db, |pool| {
            sqlx::query_as(concat!(
            action_select!("$1"),
            " WHERE p.is_public AND ($2 IS NULL OR EXISTS (
                      SELECT 1 FROM municipalities m WHERE m.id = a.municipality_id AND m.slug = $2))"
        ))
        .bind(lang.code())
        .bind(filter.municipality.as_ref().map(|m| m.as_str()))
        .fetch_all(pool)
        .await
        })?;
        let today = crate::server::clock::today_date();
        let mut cards = Vec::with_capacity(rows.len());
        for row in rows {
            let availability =
                availability_today(row.is_open, row.delivered, row.opens_on, row.closes_on);
            if filter
                .state
                .is_some_and(|state| state != ActionState::of(availability))
            {
                continue;
            }
            let days_left = row
                .closes_on
                .filter(|_| availability == Availability::Open)
                .map(|closes| (closes - today).num_days());
            cards.push((
                (row.opens_on, row.closes_on),
                ActionCard {
                    slug: stored_slug(&row.slug)?,
                    title: stored_text(row.title, &row.title_lang)?,
                    person_slug: stored_slug(&row.person_slug)?,
                    person_name: row.person_name,
                    goal: row.goal,
                    counted: row.confirmed + row.paper,
                    availability,
                    opens_on: partial(row.opens_on),
                    closes_on: row.closes_on.map(partial),
                    days_left,
                },
            ));
        }
        let state_rank = |card: &ActionCard| {
            ActionState::ALL
                .iter()
                .position(|s| *s == ActionState::of(card.availability))
        };
        cards.sort_by(|((a_opens, a_closes), a), ((b_opens, b_closes), b)| {
            state_rank(a)
                .cmp(&state_rank(b))
                .then_with(|| match ActionState::of(a.availability) {
                    // No deadline: after every deadline.
                    ActionState::Open => {
                        (a_closes.is_none(), a_closes).cmp(&(b_closes.is_none(), b_closes))
                    }
                    ActionState::Upcoming => a_opens.cmp(b_opens),
                    ActionState::Closed | ActionState::Delivered => b_opens.cmp(a_opens),
                })
                .then_with(|| a.slug.as_str().cmp(b.slug.as_str()))
        });
        Ok(cards.into_iter().map(|(_, card)| card).collect())
    }

    /// The municipalities running a support action for a public person, by
    /// name as the page reads it.
    pub async fn municipalities_with_actions(
        db: &Db,
        lang: Locale,
    ) -> Result<Vec<crate::api::MunicipalityRef>, sqlx::Error> {
        let rows: Vec<(String, String, String)> = on_pool!(db, |pool| sqlx::query_as(concat!(
            "SELECT DISTINCT m.slug, ",
            translated!("m"."name"),
            " FROM municipalities m JOIN support_actions a ON a.municipality_id = m.id
               JOIN persons p ON p.id = a.person_id",
            translation_join!("municipality_translations"."municipality_id", "m"."name", "$1"),
            " WHERE p.is_public"
        ))
        .bind(lang.code())
        .fetch_all(pool)
        .await)?;
        crate::api::persons::on_server::municipality_choices(rows)
    }

    /// One support action of a public person, without its history.
    pub async fn listing(
        db: &Db,
        slug: &str,
        lang: Locale,
    ) -> Result<Option<ActionListing>, sqlx::Error> {
        let row: Option<DetailRow> = on_pool!(db, |pool| sqlx::query_as(concat!(
            action_select!("$2"),
            " WHERE a.slug = $1 AND p.is_public"
        ))
        .bind(slug)
        .bind(lang.code())
        .fetch_optional(pool)
        .await)?;
        row.map(listing_of).transpose()
    }

    fn listing_of(row: DetailRow) -> Result<ActionListing, sqlx::Error> {
        Ok(ActionListing {
            slug: stored_slug(&row.slug)?,
            person_slug: stored_slug(&row.person_slug)?,
            person_name: row.person_name,
            title: stored_text(row.title, &row.title_lang)?,
            addressee: stored_text(row.addressee, &row.addressee_lang)?,
            goal: row.goal,
            opens_on: partial(row.opens_on),
            closes_on: row.closes_on.map(partial),
            availability: availability_today(
                row.is_open,
                row.delivered,
                row.opens_on,
                row.closes_on,
            ),
            confirmed: row.confirmed,
            paper: row.paper,
        })
    }

    /// The goal and count (confirmed online and on paper) of a support
    /// action of a public person, at most half a second old
    /// (`AppState::action_counts`): what readers poll.
    pub async fn live_count(
        state: &AppState,
        slug: &str,
    ) -> Result<Option<(i64, i64, i64)>, sqlx::Error> {
        // Only a slug may become a key: anything else names no action, and
        // junk must not fill the cache.
        if Slug::parse(slug).is_err() {
            return Ok(None);
        }
        state
            .action_counts
            .get(slug, || async {
                on_pool!(&state.db, |pool| sqlx::query_as(concat!(
                    "SELECT CAST(a.goal AS BIGINT) AS goal, ",
                    crate::confirmed_count!(),
                    " AS confirmed, ",
                    crate::paper_count!(),
                    " AS paper FROM support_actions a JOIN persons p ON p.id = a.person_id
                      WHERE a.slug = $1 AND p.is_public"
                ))
                .bind(slug)
                .fetch_optional(pool)
                .await)
            })
            .await
    }

    /// An action of a public person, with its count of confirmed signatures.
    #[tracing::instrument(skip(db))]
    pub async fn detail(
        db: &Db,
        slug: &Slug,
        lang: Locale,
    ) -> Result<Option<SupportActionDetail>, sqlx::Error> {
        let row: Option<DetailRow> = on_pool!(db, |pool| sqlx::query_as(concat!(
            action_select!("$2"),
            " WHERE a.slug = $1 AND p.is_public"
        ))
        .bind(slug.as_str())
        .bind(lang.code())
        .fetch_optional(pool)
        .await)?;
        let Some(row) = row else { return Ok(None) };
        let days: Vec<(i64, i64)> = confirmed_per_interval(db, Some(row.id), Interval::Day)
            .await?
            .into_iter()
            .map(|(_, start, n)| (start, n))
            .collect();
        let recent: Vec<(String, Option<String>)> = on_pool!(db, |pool| sqlx::query_as(
            "SELECT s.name, s.place
               FROM signatures s JOIN support_actions a ON a.id = s.action_id
              WHERE a.slug = $1 AND s.state = 'confirmed' AND s.show_name AND NOT s.anonymised
              ORDER BY s.confirmed_at DESC, s.id DESC LIMIT 10"
        )
        .bind(slug.as_str())
        .fetch_all(pool)
        .await)?;
        let per_day = match (days.first(), days.last()) {
            (Some(&(first, _)), Some(&(last, _))) => {
                let counts: std::collections::HashMap<i64, i64> = days.iter().copied().collect();
                (first..=last)
                    .step_by(Interval::Day.seconds() as usize)
                    .filter_map(|day| {
                        let date = chrono::DateTime::from_timestamp(day, 0)?.date_naive();
                        Some((partial(date), counts.get(&day).copied().unwrap_or(0)))
                    })
                    .collect()
            }
            _ => Vec::new(),
        };
        // Sealed as stored (`signing::at_rest`): opened to show the first
        // name and place the signer chose to show.
        let recent_signers = recent
            .into_iter()
            .map(|(name, place)| {
                use crate::server::data_key::{opened, opened_optional, purpose};
                let name = opened(purpose::SIGNATURE_NAME, name)?;
                let place = opened_optional(purpose::SIGNATURE_PLACE, place)?;
                Ok(RecentSigner::from_stored(&name, place))
            })
            .collect::<Result<_, sqlx::Error>>()?;
        let delivery = if row.delivered {
            delivery_of(db, row.id).await?
        } else {
            None
        };
        let answer = match &delivery {
            Some(delivery) => answer_to(db, row.id, delivery, lang).await?,
            None => None,
        };
        let opens_on = partial(row.opens_on);
        let closes_on = row.closes_on.map(partial);
        Ok(Some(SupportActionDetail {
            slug: stored_slug(&row.slug)?,
            person_slug: stored_slug(&row.person_slug)?,
            title: stored_text(row.title, &row.title_lang)?,
            body_html: stored_text(row.body_html, &row.body_html_lang)?,
            addressee: stored_text(row.addressee, &row.addressee_lang)?,
            goal: row.goal,
            person_name: row.person_name,
            availability: availability_today(
                row.is_open,
                row.delivered,
                row.opens_on,
                row.closes_on,
            ),
            opens_on,
            closes_on,
            confirmed: row.confirmed,
            paper: row.paper,
            per_day,
            recent_signers,
            delivery,
            answer,
        }))
    }

    #[derive(sqlx::FromRow)]
    struct DeliveryRow {
        delivered_on: NaiveDate,
        recipient: String,
        method: String,
        note_html: Option<String>,
        language: String,
        proof_url: Option<String>,
        answer_by: Option<NaiveDate>,
        signatures: i64,
        paper_signatures: i64,
    }

    /// The delivery of action `action_id`, if its signatures were handed over.
    pub async fn delivery_of(db: &Db, action_id: i64) -> Result<Option<Delivery>, sqlx::Error> {
        let row: Option<DeliveryRow> = on_pool!(db, |pool| {
            sqlx::query_as(
                "SELECT delivered_on, recipient, method, note_html, language, proof_url, answer_by,
                    signatures, paper_signatures
               FROM deliveries WHERE action_id = $1",
            )
            .bind(action_id)
            .fetch_optional(pool)
            .await
        })?;
        let Some(row) = row else { return Ok(None) };
        let lang = crate::records::translations::stored_language(&row.language)?;
        let method = DeliveryMethod::parse(&row.method)
            .map_err(|_| crate::server::db::decode(format!("delivery method {:?}", row.method)))?;
        Ok(Some(Delivery {
            delivered_on: partial(row.delivered_on),
            recipient: LangText {
                text: row.recipient,
                lang,
            },
            method,
            note_html: row.note_html.map(|text| LangText { text, lang }),
            proof_url: row.proof_url,
            answer_by: row.answer_by.map(partial),
            signatures: row.signatures,
            paper_signatures: row.paper_signatures,
        }))
    }

    /// The addressee's answer to delivered action `action_id`: the response
    /// in `lang` (each field where translated, else the original), or,
    /// without one, the day it is awaited by or was not given by.
    pub async fn answer_to(
        db: &Db,
        action_id: i64,
        delivery: &Delivery,
        lang: Locale,
    ) -> Result<Option<Answer>, sqlx::Error> {
        let head: Option<(NaiveDate, String, Option<String>)> = on_pool!(db, |pool| {
            sqlx::query_as(
            "SELECT responded_on, original_language, source_url FROM responses WHERE action_id = $1"
        )
        .bind(action_id)
        .fetch_optional(pool)
        .await
        })?;
        let Some((responded_on, original, source_url)) = head else {
            let today = crate::server::clock::today();
            return Ok(delivery.answer_by.map(|by| {
                if by < today {
                    Answer::NoneBy(by)
                } else {
                    Answer::AwaitedBy(by)
                }
            }));
        };
        let texts: Vec<(String, String, Option<String>)> = on_pool!(db, |pool| sqlx::query_as(
            "SELECT language, summary, body_html FROM response_texts
              WHERE action_id = $1 AND (language = $2 OR language = $3)"
        )
        .bind(action_id)
        .bind(lang.code())
        .bind(&original)
        .fetch_all(pool)
        .await)?;
        let original = crate::records::translations::stored_language(&original)?;
        let in_language = |wanted: Locale| texts.iter().find(|(l, _, _)| *l == wanted.code());
        let Some(first) = in_language(original) else {
            return Err(crate::server::db::decode(
                "a response without its original text",
            ));
        };
        let translated = in_language(lang).filter(|_| lang != original);
        let summary = match translated {
            Some((_, summary, _)) => LangText {
                text: summary.clone(),
                lang,
            },
            None => LangText {
                text: first.1.clone(),
                lang: original,
            },
        };
        let body_html = match translated.and_then(|(_, _, body)| body.clone()) {
            Some(text) => Some(LangText { text, lang }),
            None => first.2.clone().map(|text| LangText {
                text,
                lang: original,
            }),
        };
        Ok(Some(Answer::Given(Response {
            responded_on: partial(responded_on),
            summary,
            body_html,
            source_url,
        })))
    }

    /// The id of a support action the public may read: its person is public.
    pub async fn public_action_id(db: &Db, slug: &str) -> Result<Option<i64>, sqlx::Error> {
        on_pool!(db, |pool| sqlx::query_scalar(
            "SELECT a.id FROM support_actions a JOIN persons p ON p.id = a.person_id
              WHERE a.slug = $1 AND p.is_public"
        )
        .bind(slug)
        .fetch_optional(pool)
        .await)
    }

    /// Confirmed signatures per action (of a public person; `Some`: this
    /// one only) and interval (UTC), as (action slug, start in Unix seconds,
    /// count), by action and oldest first, quiet intervals left out. It
    /// reads only what anonymisation keeps (state and confirmation time), so
    /// the history stays whole after the signers' details are gone.
    pub async fn confirmed_per_interval(
        db: &Db,
        action_id: Option<i64>,
        interval: Interval,
    ) -> Result<Vec<(String, i64, i64)>, sqlx::Error> {
        let seconds = interval.seconds();
        let rows: Vec<(String, i64, i64)> = on_pool!(db, |pool| sqlx::query_as(
            "SELECT a.slug, s.confirmed_at / $2 AS slot, COUNT(*) AS confirmed
               FROM signatures s
               JOIN support_actions a ON a.id = s.action_id
               JOIN persons p ON p.id = a.person_id
              WHERE ($1 IS NULL OR s.action_id = $1) AND p.is_public
                AND s.state = 'confirmed' AND s.confirmed_at IS NOT NULL
              GROUP BY a.slug, s.confirmed_at / $2 ORDER BY a.slug, 2"
        )
        .bind(action_id)
        .bind(seconds)
        .fetch_all(pool)
        .await)?;
        Ok(rows
            .into_iter()
            .map(|(action, slot, n)| (action, slot * seconds, n))
            .collect())
    }

    /// The count history of support actions (of a public person; `Some`:
    /// this one only) per interval (UTC), as (action slug, start in Unix
    /// seconds, confirmed online, on paper), by action and oldest first,
    /// quiet intervals left out. Paper batches are dated by the day they were
    /// collected, so they fall in the first interval of that day.
    pub async fn counted_per_interval(
        db: &Db,
        action_id: Option<i64>,
        interval: Interval,
    ) -> Result<Vec<(String, i64, i64, i64)>, sqlx::Error> {
        use std::collections::BTreeMap;
        let seconds = interval.seconds();
        let mut history: BTreeMap<(String, i64), (i64, i64)> = BTreeMap::new();
        for (action, start, n) in confirmed_per_interval(db, action_id, interval).await? {
            history.entry((action, start)).or_default().0 += n;
        }
        let paper: Vec<(String, NaiveDate, i64)> = on_pool!(db, |pool| sqlx::query_as(
            "SELECT a.slug, b.collected_on, CAST(SUM(b.signatures) AS BIGINT) AS paper
               FROM paper_batches b
               JOIN support_actions a ON a.id = b.action_id
               JOIN persons p ON p.id = a.person_id
              WHERE ($1 IS NULL OR b.action_id = $1) AND p.is_public
              GROUP BY a.slug, b.collected_on"
        )
        .bind(action_id)
        .fetch_all(pool)
        .await)?;
        for (action, day, n) in paper {
            let midnight = day
                .and_hms_opt(0, 0, 0)
                .unwrap_or_default()
                .and_utc()
                .timestamp();
            let start = midnight - midnight.rem_euclid(seconds);
            history.entry((action, start)).or_default().1 += n;
        }
        Ok(history
            .into_iter()
            .map(|((action, start), (confirmed, paper))| (action, start, confirmed, paper))
            .collect())
    }

    /// The municipalities of the network as places signers may type, shown
    /// by their original name.
    async fn known_places(db: &Db) -> Result<Vec<KnownPlace>, sqlx::Error> {
        let names: Vec<(String, String, bool)> = on_pool!(db, |pool| sqlx::query_as(
            "SELECT m.slug, m.name, TRUE AS original FROM municipalities m
             UNION ALL
             SELECT m.slug, t.text, FALSE FROM municipalities m
               JOIN municipality_translations t ON t.municipality_id = m.id AND t.field = 'name'
             ORDER BY 1, 3 DESC"
        )
        .fetch_all(pool)
        .await)?;
        let mut known: Vec<(String, KnownPlace)> = Vec::new();
        for (slug, name, original) in names {
            match known.last_mut() {
                Some((last, place)) if *last == slug => place.names.push(name),
                _ => {
                    debug_assert!(original, "the original sorts first");
                    known.push((
                        slug,
                        KnownPlace {
                            names: vec![name.clone()],
                            shown_as: name,
                        },
                    ));
                }
            }
        }
        Ok(known.into_iter().map(|(_, place)| place).collect())
    }

    /// Confirmed signatures of an action by the place and the country the
    /// signers gave, small groups merged (see [`PlaceTally`]). A place is
    /// sealed with a nonce of its own (`signing::at_rest`), so equal places
    /// do not group in SQL: each is opened here, and the tally groups them.
    pub async fn confirmed_by_place(db: &Db, action_id: i64) -> Result<PlaceTally, sqlx::Error> {
        use crate::server::data_key::{opened_optional, purpose};
        let rows: Vec<(Option<String>, Option<String>, i64)> =
            on_pool!(db, |pool| sqlx::query_as(
                "SELECT s.place, s.country_code, COUNT(*) AS confirmed
               FROM signatures s
              WHERE s.action_id = $1 AND s.state = 'confirmed'
              GROUP BY s.place, s.country_code"
            )
            .bind(action_id)
            .fetch_all(pool)
            .await)?;
        // Equal places grouped again once opened, so that the tally looks
        // each distinct place up once, not each signature.
        let mut grouped: std::collections::HashMap<(Option<String>, Option<String>), i64> =
            std::collections::HashMap::new();
        for (place, country, n) in rows {
            let place = opened_optional(purpose::SIGNATURE_PLACE, place)?;
            *grouped.entry((place, country)).or_default() += n;
        }
        let rows: Vec<_> = grouped
            .into_iter()
            .map(|((place, country), n)| (place, country, n))
            .collect();
        Ok(PlaceTally::of(&rows, &known_places(db).await?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(
        place: Option<&str>,
        country: Option<&str>,
        n: i64,
    ) -> (Option<String>, Option<String>, i64) {
        (place.map(Into::into), country.map(Into::into), n)
    }

    #[test]
    fn places_count_only_as_wide_areas_and_small_groups_are_merged() {
        let brussels = KnownPlace {
            names: vec![
                "City of Brussels".into(),
                "Ville de Bruxelles".into(),
                "Stad Brussel".into(),
            ],
            shown_as: "City of Brussels".into(),
        };
        let tally = PlaceTally::of(
            &[
                row(Some("Bruxelles"), Some("BE"), 3),
                row(Some(" stad  brussel "), Some("BE"), 2),
                row(Some("City of Brussels"), Some("BE"), 1),
                row(Some("1000"), Some("BE"), 2),
                row(Some("1050"), Some("BE"), 3),
                row(Some("Ixelles"), Some("BE"), 9),
                row(Some("Lille"), Some("FR"), 2),
                row(Some("59000"), Some("FR"), 1),
                row(None, Some("NL"), 6),
                row(Some("   "), None, 1),
            ],
            std::slice::from_ref(&brussels),
        );
        // Bruxelles in any language, case and spacing: one group of 6.
        // 1000 and 1050: the postcode area 10xx, 5 signers.
        assert_eq!(
            tally.places,
            vec![("City of Brussels".to_owned(), 6), ("10xx".to_owned(), 5)]
        );
        // Ixelles (9, but typed, not an area we count), Lille (2) and 59xxx (1).
        assert_eq!(tally.places_other, 12);
        assert_eq!(tally.places_not_known, 7);
        let countries: Vec<(&str, i64)> = tally
            .countries
            .iter()
            .map(|(c, n)| (c.as_str(), *n))
            .collect();
        assert_eq!(countries, vec![("BE", 20), ("NL", 6)]);
        assert_eq!(tally.countries_other, 3, "France, with three signers");
        assert_eq!(tally.countries_not_known, 1);
        let shown: i64 = tally.places.iter().map(|(_, n)| n).sum::<i64>()
            + tally.places_other
            + tally.places_not_known;
        assert_eq!(shown, 30, "every signature is counted once");
        // Only whole last words of a name match.
        let known = [brussels];
        assert_eq!(
            area_of("de Bruxelles", &known).as_deref(),
            Some("City of Brussels")
        );
        assert_eq!(area_of("Bruxelles-Ville", &known), None);
        assert_eq!(area_of("xelles", &known), None);
        assert_eq!(area_of("123", &known), None, "too short for a postcode");
    }
}
