//! Reading persons: the filtered list and one person's case.
use super::{
    AdoptionView, Country, MunicipalityRef, PersonSummary, RightsCategoryInfo, StatusEventView,
    SupportActionSummary,
};
use crate::domain::{CountryCode, RightsCategory, Slug, Status};
use crate::error::AppError;
use crate::i18n::Locale;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonDetail {
    pub person: PersonSummary,
    pub timeline: Vec<StatusEventView>,
    pub adoptions: Vec<AdoptionView>,
    pub support_actions: Vec<SupportActionSummary>,
}

/// The list filters, parsed from the query string of `/persons`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonFilter {
    pub rights: Option<RightsCategory>,
    pub status: Option<Status>,
    pub country: Option<CountryCode>,
    pub municipality: Option<Slug>,
}

/// A filter value that names nothing we know; shown to the user, never a 500.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FilterError {
    /// The query parameter.
    pub field: &'static str,
    /// The interface-string key of its label in the form.
    pub label: &'static str,
    pub value: String,
}

impl FilterError {
    /// What the list says above its form: the filter, by its label, and the value.
    pub fn message(&self, locale: Locale) -> String {
        locale
            .t("filters.unknown_value")
            .replace("%{field}", &locale.t(self.label))
            .replace("%{value}", &self.value)
    }
}

/// The query parameter `name` of a list filter (labelled `label` in its
/// form): `None` when absent or empty (any value), else what `parse` makes of it.
pub fn field<T, E>(
    name: &'static str,
    label: &'static str,
    value: Option<&str>,
    parse: impl Fn(&str) -> Result<T, E>,
) -> Result<Option<T>, FilterError> {
    match value.map(str::trim).filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(v) => parse(v).map(Some).map_err(|_| FilterError {
            field: name,
            label,
            value: v.chars().take(80).collect(),
        }),
    }
}

impl PersonFilter {
    pub const FIELDS: [&'static str; 4] = ["rights", "status", "country", "municipality"];

    /// Parses query parameters; empty values mean "any".
    pub fn parse<'a>(mut get: impl FnMut(&str) -> Option<&'a str>) -> Result<Self, FilterError> {
        Ok(Self {
            rights: field(
                "rights",
                "filters.rights",
                get("rights"),
                RightsCategory::parse,
            )?,
            status: field("status", "filters.status", get("status"), Status::parse)?,
            country: field(
                "country",
                "filters.country",
                get("country"),
                CountryCode::parse,
            )?,
            municipality: field(
                "municipality",
                "filters.municipality",
                get("municipality"),
                Slug::parse,
            )?,
        })
    }

    pub fn is_empty(&self) -> bool {
        self == &Self::default()
    }
}

/// What the filter form offers: only values that can match something.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FilterChoices {
    pub categories: Vec<RightsCategoryInfo>,
    pub statuses: Vec<Status>,
    pub countries: Vec<Country>,
    pub municipalities: Vec<MunicipalityRef>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonList {
    pub persons: Vec<PersonSummary>,
    pub choices: FilterChoices,
}

#[server]
pub async fn list_persons(filter: PersonFilter, lang: Locale) -> Result<PersonList, AppError> {
    let db = crate::server::context::db()?;
    let persons = on_server::list(&db, &filter, lang).await?;
    let choices = on_server::filter_choices(&db, lang).await?;
    Ok(PersonList { persons, choices })
}

/// One public person's case, or `None` for an unknown or unpublished slug
/// (`Gone` for a case taken down);
/// its content in `lang` where translated, else in the original language.
#[server]
pub async fn get_person(slug: Slug, lang: Locale) -> Result<Option<PersonDetail>, AppError> {
    let db = crate::server::context::db()?;
    match on_server::detail(&db, &slug, lang).await? {
        None if crate::records::takedown::person_gone(&db, slug.as_str()).await? => {
            Err(AppError::Gone)
        }
        detail => Ok(detail),
    }
}

#[cfg(feature = "ssr")]
pub mod on_server {
    use super::*;
    use crate::api::Localized;
    use crate::on_pool;
    use crate::records::translations::stored_text;
    use crate::server::clock::availability_today;
    use crate::server::db::{
        decode, stored_date, stored_optional_date, stored_slug as slug, stored_status as status, Db,
    };
    use crate::translated;
    use crate::translation_join;
    use std::collections::HashMap;

    /// Public persons with their country and current status; the summary in
    /// the language bound at `$lang`, else the original. A country staff keep
    /// internal is none here (and so never a filter's match); an internal
    /// summary is left out by `summaries`.
    macro_rules! person_select {
        ($lang:literal) => {
            concat!(
            "SELECT p.id, p.slug, p.full_name, ", translated!("p"."summary"), ", p.summary_internal,
                    CASE WHEN p.country_internal THEN NULL ELSE p.country_code END AS country_code,
                    c.name_en AS country_en, c.name_fr AS country_fr, c.name_nl AS country_nl, ",
            crate::current_status!("p"),
            " AS current_status
               FROM persons p LEFT JOIN countries c ON c.code = p.country_code AND NOT p.country_internal",
            translation_join!("person_translations"."person_id", "p"."summary", $lang),
            " WHERE p.is_public"
            )
        };
    }

    /// Published events of public persons, their text in the language bound at `$lang`.
    macro_rules! event_select {
        ($lang:literal) => {
            concat!(
            "SELECT e.id, p.slug AS person_slug, p.full_name AS person_name, e.status,
                    e.occurred_year, e.occurred_month, e.occurred_day, ",
            translated!("e"."title"), ", ", translated!("e"."body_html"), ", ", translated!("e"."source_title"),
            ", e.source_url, f.partner AS from_partner
               FROM status_events e JOIN persons p ON p.id = e.person_id
               LEFT JOIN feed_entries fe ON fe.id = e.feed_entry_id
               LEFT JOIN feeds f ON f.id = fe.feed_id",
            translation_join!("status_event_translations"."status_event_id", "e"."title", $lang),
            translation_join!("status_event_translations"."status_event_id", "e"."body_html", $lang),
            translation_join!("status_event_translations"."status_event_id", "e"."source_title", $lang),
            " WHERE e.is_published AND p.is_public"
            )
        };
    }

    #[derive(sqlx::FromRow)]
    pub struct PersonRow {
        id: i64,
        slug: String,
        full_name: String,
        summary: Option<String>,
        summary_lang: String,
        summary_internal: bool,
        country_code: Option<String>,
        country_en: Option<String>,
        country_fr: Option<String>,
        country_nl: Option<String>,
        current_status: Option<String>,
    }

    #[derive(sqlx::FromRow)]
    struct EventRow {
        person_slug: String,
        person_name: String,
        status: Option<String>,
        occurred_year: i32,
        occurred_month: Option<i32>,
        occurred_day: Option<i32>,
        title: String,
        title_lang: String,
        body_html: Option<String>,
        body_html_lang: String,
        source_title: Option<String>,
        source_title_lang: String,
        source_url: Option<String>,
        from_partner: Option<String>,
    }

    #[derive(sqlx::FromRow)]
    struct PersonRightRow {
        person_id: i64,
        slug: String,
        name_en: String,
        name_fr: String,
        name_nl: String,
    }

    #[derive(sqlx::FromRow)]
    struct PersonMunicipalityRow {
        person_id: i64,
        slug: String,
        name: String,
        name_lang: String,
    }

    /// The municipalities' names in the language bound at `$lang` (NULL:
    /// the originals), for a query over `municipalities m`.
    macro_rules! municipality_name_join {
        ($lang:literal) => {
            translation_join!("municipality_translations"."municipality_id", "m"."name", $lang)
        };
    }

    #[derive(sqlx::FromRow)]
    struct AdoptionRow {
        slug: String,
        name: String,
        name_lang: String,
        adopted_year: i32,
        adopted_month: Option<i32>,
        adopted_day: Option<i32>,
        ended_year: Option<i32>,
        ended_month: Option<i32>,
        ended_day: Option<i32>,
        decision_reference: Option<String>,
        note: Option<String>,
    }

    #[derive(sqlx::FromRow)]
    struct ActionRow {
        slug: String,
        title: String,
        title_lang: String,
        addressee: String,
        addressee_lang: String,
        goal: i64,
        opens_on: chrono::NaiveDate,
        closes_on: Option<chrono::NaiveDate>,
        is_open: bool,
        delivered: bool,
        confirmed: i64,
        paper: i64,
    }

    #[derive(sqlx::FromRow)]
    struct CountryRow {
        code: String,
        name_en: String,
        name_fr: String,
        name_nl: String,
    }

    pub fn country(
        code: Option<&str>,
        en: Option<String>,
        fr: Option<String>,
        nl: Option<String>,
    ) -> Result<Option<Country>, sqlx::Error> {
        match (code, en, fr, nl) {
            (Some(code), Some(en), Some(fr), Some(nl)) => Ok(Some(Country {
                code: CountryCode::parse(code).map_err(|e| decode(e.to_string()))?,
                name: Localized { en, fr, nl },
            })),
            _ => Ok(None),
        }
    }

    /// Sort key for names that reads the same on both backends (their collations differ).
    pub fn name_key(name: &str) -> String {
        deunicode::deunicode(name).to_lowercase()
    }

    /// A filter's municipality choices from (slug, name, the name's
    /// language) rows, by name.
    pub fn municipality_choices(
        rows: impl IntoIterator<Item = (String, String, String)>,
    ) -> Result<Vec<MunicipalityRef>, sqlx::Error> {
        let mut municipalities = rows
            .into_iter()
            .map(|(slug_text, name, name_lang)| {
                Ok(MunicipalityRef {
                    slug: slug(&slug_text)?,
                    name: stored_text(name, &name_lang)?,
                })
            })
            .collect::<Result<Vec<_>, sqlx::Error>>()?;
        municipalities.sort_by_cached_key(|m| name_key(&m.name.text));
        Ok(municipalities)
    }

    /// The rights categories of person `only`, or of every person, by person.
    async fn rights_by_person(
        db: &Db,
        only: Option<i64>,
    ) -> Result<HashMap<i64, Vec<RightsCategoryInfo>>, sqlx::Error> {
        let rights: Vec<PersonRightRow> = on_pool!(db, |pool| sqlx::query_as(
            "SELECT pr.person_id, rc.slug, rc.name_en, rc.name_fr, rc.name_nl
               FROM person_rights pr JOIN rights_categories rc ON rc.id = pr.rights_category_id
              WHERE ($1 IS NULL OR pr.person_id = $1)
              ORDER BY rc.position"
        )
        .bind(only)
        .fetch_all(pool)
        .await)?;
        let mut rights_of: HashMap<i64, Vec<RightsCategoryInfo>> = HashMap::new();
        for r in rights {
            let category = RightsCategory::parse(&r.slug).map_err(|e| decode(e.to_string()))?;
            let name = Localized {
                en: r.name_en,
                fr: r.name_fr,
                nl: r.name_nl,
            };
            rights_of
                .entry(r.person_id)
                .or_default()
                .push(RightsCategoryInfo { category, name });
        }
        Ok(rights_of)
    }

    /// The municipalities holding the case of person `only` (their adoption
    /// lasts), or of every person, by person, each list by name as the page
    /// reads it.
    async fn municipalities_by_person(
        db: &Db,
        only: Option<i64>,
        lang: Locale,
    ) -> Result<HashMap<i64, Vec<MunicipalityRef>>, sqlx::Error> {
        let places: Vec<PersonMunicipalityRow> = on_pool!(db, |pool| sqlx::query_as(concat!(
            "SELECT a.person_id, m.slug, ",
            translated!("m"."name"),
            " FROM adoptions a JOIN municipalities m ON m.id = a.municipality_id",
            municipality_name_join!("$2"),
            " WHERE ($1 IS NULL OR a.person_id = $1) AND ",
            crate::adoption_lasts!("a")
        ))
        .bind(only)
        .bind(lang.code())
        .fetch_all(pool)
        .await)?;

        let mut places_of: HashMap<i64, Vec<MunicipalityRef>> = HashMap::new();
        for m in places {
            places_of
                .entry(m.person_id)
                .or_default()
                .push(MunicipalityRef {
                    slug: slug(&m.slug)?,
                    name: stored_text(m.name, &m.name_lang)?,
                });
        }
        // By name as the page reads it (the collations of the backends differ).
        for places in places_of.values_mut() {
            places.sort_by_cached_key(|m| name_key(&m.name.text));
        }
        Ok(places_of)
    }

    /// How many support actions of person `only`, or of every person, take
    /// signatures today, by person.
    async fn open_actions_by_person(
        db: &Db,
        only: Option<i64>,
    ) -> Result<HashMap<i64, usize>, sqlx::Error> {
        let rows: Vec<(
            i64,
            bool,
            bool,
            chrono::NaiveDate,
            Option<chrono::NaiveDate>,
        )> = on_pool!(db, |pool| sqlx::query_as(concat!(
            "SELECT a.person_id, a.is_open, ",
            crate::delivered!(),
            " AS delivered, a.opens_on, a.closes_on
                   FROM support_actions a
                  WHERE a.is_open AND ($1 IS NULL OR a.person_id = $1)"
        ))
        .bind(only)
        .fetch_all(pool)
        .await)?;
        let mut open_of: HashMap<i64, usize> = HashMap::new();
        for (person, is_open, delivered, opens_on, closes_on) in rows {
            if availability_today(is_open, delivered, opens_on, closes_on)
                == crate::domain::Availability::Open
            {
                *open_of.entry(person).or_default() += 1;
            }
        }
        Ok(open_of)
    }

    /// Completes person rows with their rights and municipalities, sorted by name.
    /// One person (a case page) reads only its own links; a list reads those of
    /// every public person in two queries, rather than two per person.
    pub async fn summaries(
        db: &Db,
        rows: Vec<PersonRow>,
        lang: Locale,
    ) -> Result<Vec<PersonSummary>, sqlx::Error> {
        if rows.is_empty() {
            return Ok(Vec::new());
        }
        let only = match rows.as_slice() {
            [one] => Some(one.id),
            _ => None,
        };
        let mut rights_of = rights_by_person(db, only).await?;
        let mut places_of = municipalities_by_person(db, only, lang).await?;
        let mut portraits_of = crate::api::portraits::on_server::by_person(db, only, lang).await?;
        let mut open_actions_of = open_actions_by_person(db, only).await?;
        let mut out = rows
            .into_iter()
            .map(|row| {
                Ok(PersonSummary {
                    slug: slug(&row.slug)?,
                    country: country(
                        row.country_code.as_deref(),
                        row.country_en,
                        row.country_fr,
                        row.country_nl,
                    )?,
                    summary: row
                        .summary
                        .filter(|_| !row.summary_internal)
                        .map(|text| stored_text(text, &row.summary_lang))
                        .transpose()?,
                    current_status: status(row.current_status.as_deref())?,
                    rights: rights_of.remove(&row.id).unwrap_or_default(),
                    municipalities: places_of.remove(&row.id).unwrap_or_default(),
                    portrait: portraits_of.remove(&row.id),
                    open_actions: open_actions_of.remove(&row.id).unwrap_or_default(),
                    full_name: row.full_name,
                })
            })
            .collect::<Result<Vec<_>, sqlx::Error>>()?;
        out.sort_by_cached_key(|p| name_key(&p.full_name));
        Ok(out)
    }

    /// The public persons the filter picks; its municipality picks the
    /// persons whose case the municipality holds now.
    #[tracing::instrument(skip(db))]
    pub async fn list(
        db: &Db,
        filter: &PersonFilter,
        lang: Locale,
    ) -> Result<Vec<PersonSummary>, sqlx::Error> {
        select(db, filter, lang, false).await
    }

    /// The public persons a municipality adopted, its ended adoptions too:
    /// its page tells its history.
    pub async fn ever_adopted_by(
        db: &Db,
        municipality: &Slug,
        lang: Locale,
    ) -> Result<Vec<PersonSummary>, sqlx::Error> {
        let filter = PersonFilter {
            municipality: Some(municipality.clone()),
            ..Default::default()
        };
        select(db, &filter, lang, true).await
    }

    async fn select(
        db: &Db,
        filter: &PersonFilter,
        lang: Locale,
        ended_too: bool,
    ) -> Result<Vec<PersonSummary>, sqlx::Error> {
        let rows: Vec<PersonRow> = on_pool!(db, |pool| {
            sqlx::query_as(concat!(
            "SELECT * FROM (",
            person_select!("$5"),
            ") s
              WHERE ($1 IS NULL OR s.current_status = $1)
                AND ($2 IS NULL OR EXISTS (
                      SELECT 1 FROM person_rights pr JOIN rights_categories rc ON rc.id = pr.rights_category_id
                       WHERE pr.person_id = s.id AND rc.slug = $2))
                AND ($3 IS NULL OR s.country_code = $3)
                AND ($4 IS NULL OR EXISTS (
                      SELECT 1 FROM adoptions a JOIN municipalities m ON m.id = a.municipality_id
                       WHERE a.person_id = s.id AND m.slug = $4 AND ($6 OR ",
            crate::adoption_lasts!("a"),
            ")))"
        ))
        .bind(filter.status.map(|s| s.slug()))
        .bind(filter.rights.map(|r| r.slug()))
        .bind(filter.country.as_ref().map(|c| c.as_str()))
        .bind(filter.municipality.as_ref().map(|m| m.as_str()))
        .bind(lang.code())
        .bind(ended_too)
        .fetch_all(pool)
        .await
        })?;
        summaries(db, rows, lang).await
    }

    fn event(row: EventRow) -> Result<StatusEventView, sqlx::Error> {
        Ok(StatusEventView {
            person_slug: slug(&row.person_slug)?,
            person_name: row.person_name,
            status: status(row.status.as_deref())?,
            occurred_on: stored_date(row.occurred_year, row.occurred_month, row.occurred_day)?,
            title: stored_text(row.title, &row.title_lang)?,
            body_html: row
                .body_html
                .map(|text| stored_text(text, &row.body_html_lang))
                .transpose()?,
            source_title: row
                .source_title
                .map(|text| stored_text(text, &row.source_title_lang))
                .transpose()?,
            source_url: row.source_url,
            from_partner: row.from_partner,
        })
    }

    /// Every published event of every public person, by person and oldest first.
    pub async fn all_events(db: &Db, lang: Locale) -> Result<Vec<StatusEventView>, sqlx::Error> {
        let rows: Vec<EventRow> = on_pool!(db, |pool| sqlx::query_as(concat!(
            event_select!("$1"),
            " ORDER BY p.slug, ",
            crate::oldest_first!("e")
        ))
        .bind(lang.code())
        .fetch_all(pool)
        .await)?;
        rows.into_iter().map(event).collect()
    }

    pub async fn latest_events(db: &Db, lang: Locale) -> Result<Vec<StatusEventView>, sqlx::Error> {
        let rows: Vec<EventRow> = on_pool!(db, |pool| sqlx::query_as(concat!(
            event_select!("$1"),
            " ORDER BY ",
            crate::newest_first!("e"),
            " LIMIT 5"
        ))
        .bind(lang.code())
        .fetch_all(pool)
        .await)?;
        rows.into_iter().map(event).collect()
    }

    #[tracing::instrument(skip(db))]
    pub async fn detail(
        db: &Db,
        person: &Slug,
        lang: Locale,
    ) -> Result<Option<PersonDetail>, sqlx::Error> {
        let row: Option<PersonRow> = on_pool!(db, |pool| sqlx::query_as(concat!(
            person_select!("$2"),
            " AND p.slug = $1"
        ))
        .bind(person.as_str())
        .bind(lang.code())
        .fetch_optional(pool)
        .await)?;
        let Some(row) = row else { return Ok(None) };
        let id = row.id;
        let person_summary = summaries(db, vec![row], lang).await?.remove(0);

        let events: Vec<EventRow> = on_pool!(db, |pool| sqlx::query_as(concat!(
            event_select!("$2"),
            " AND p.id = $1 ORDER BY ",
            crate::oldest_first!("e")
        ))
        .bind(id)
        .bind(lang.code())
        .fetch_all(pool)
        .await)?;

        let actions: Vec<ActionRow> = on_pool!(db, |pool| {
            sqlx::query_as(
            concat!(
            "SELECT a.slug, ", translated!("a"."title"), ", ", translated!("a"."addressee"),
            ", CAST(a.goal AS BIGINT) AS goal, a.opens_on, a.closes_on, a.is_open, ",
            crate::delivered!(),
            " AS delivered, ",
            crate::confirmed_count!(),
            " AS confirmed, ",
            crate::paper_count!(),
            " AS paper
               FROM support_actions a",
            translation_join!("support_action_translations"."support_action_id", "a"."title", "$2"),
            translation_join!("support_action_translations"."support_action_id", "a"."addressee", "$2"),
            " WHERE a.person_id = $1 ORDER BY a.is_open DESC, a.id DESC"
        )
        )
        .bind(id)
        .bind(lang.code())
        .fetch_all(pool)
        .await
        })?;

        Ok(Some(PersonDetail {
            person: person_summary,
            timeline: events.into_iter().map(event).collect::<Result<_, _>>()?,
            adoptions: adoptions(db, id, Some(lang)).await?,
            support_actions: actions
                .into_iter()
                .map(|a| {
                    Ok(SupportActionSummary {
                        slug: slug(&a.slug)?,
                        title: stored_text(a.title, &a.title_lang)?,
                        addressee: stored_text(a.addressee, &a.addressee_lang)?,
                        goal: a.goal,
                        availability: availability_today(
                            a.is_open,
                            a.delivered,
                            a.opens_on,
                            a.closes_on,
                        ),
                        confirmed: a.confirmed,
                        paper: a.paper,
                    })
                })
                .collect::<Result<_, sqlx::Error>>()?,
        }))
    }

    /// A person's adoptions, ended ones too, the earliest first: public and staff pages alike
    /// (municipality names in `lang`; `None`: the originals).
    pub async fn adoptions(
        db: &Db,
        person_id: i64,
        lang: Option<Locale>,
    ) -> Result<Vec<AdoptionView>, sqlx::Error> {
        let rows: Vec<AdoptionRow> = on_pool!(db, |pool| {
            sqlx::query_as(concat!(
            "SELECT m.slug, ", translated!("m"."name"), ", a.adopted_year, a.adopted_month, a.adopted_day,
                    a.ended_year, a.ended_month, a.ended_day, a.decision_reference, a.note
               FROM adoptions a JOIN municipalities m ON m.id = a.municipality_id",
            municipality_name_join!("$2"),
            " WHERE a.person_id = $1
              ORDER BY a.adopted_year, COALESCE(a.adopted_month, 0), COALESCE(a.adopted_day, 0), m.name"
        ))
        .bind(person_id)
        .bind(lang.map(Locale::code))
        .fetch_all(pool)
        .await
        })?;
        rows.into_iter()
            .map(|a| {
                Ok(AdoptionView {
                    municipality: MunicipalityRef {
                        slug: slug(&a.slug)?,
                        name: stored_text(a.name, &a.name_lang)?,
                    },
                    adopted_on: stored_date(a.adopted_year, a.adopted_month, a.adopted_day)?,
                    ended_on: stored_optional_date(a.ended_year, a.ended_month, a.ended_day)?,
                    decision_reference: a.decision_reference,
                    note: a.note,
                })
            })
            .collect()
    }

    #[derive(sqlx::FromRow)]
    struct CategoryRow {
        slug: String,
        name_en: String,
        name_fr: String,
        name_nl: String,
    }

    /// The rights categories, in the network's order.
    pub async fn categories(db: &Db) -> Result<Vec<RightsCategoryInfo>, sqlx::Error> {
        let rows: Vec<CategoryRow> = on_pool!(db, |pool| sqlx::query_as(
            "SELECT slug, name_en, name_fr, name_nl FROM rights_categories ORDER BY position"
        )
        .fetch_all(pool)
        .await)?;
        rows.into_iter()
            .map(|r| {
                Ok(RightsCategoryInfo {
                    category: RightsCategory::parse(&r.slug).map_err(|e| decode(e.to_string()))?,
                    name: Localized {
                        en: r.name_en,
                        fr: r.name_fr,
                        nl: r.name_nl,
                    },
                })
            })
            .collect()
    }

    pub async fn filter_choices(db: &Db, lang: Locale) -> Result<FilterChoices, sqlx::Error> {
        let categories = categories(db).await?;
        let countries: Vec<CountryRow> = on_pool!(db, |pool| sqlx::query_as(
            "SELECT DISTINCT c.code, c.name_en, c.name_fr, c.name_nl
               FROM countries c JOIN persons p ON p.country_code = c.code
              WHERE p.is_public AND NOT p.country_internal"
        )
        .fetch_all(pool)
        .await)?;
        let municipalities: Vec<PersonMunicipalityRow> =
            on_pool!(db, |pool| sqlx::query_as(concat!(
                "SELECT DISTINCT CAST(0 AS BIGINT) AS person_id, m.slug, ",
                translated!("m"."name"),
                " FROM municipalities m JOIN adoptions a ON a.municipality_id = m.id
               JOIN persons p ON p.id = a.person_id",
                municipality_name_join!("$1"),
                " WHERE p.is_public AND ",
                crate::adoption_lasts!("a")
            ))
            .bind(lang.code())
            .fetch_all(pool)
            .await)?;
        let mut countries = countries
            .into_iter()
            .map(|c| {
                Ok(Country {
                    code: CountryCode::parse(&c.code).map_err(|e| decode(e.to_string()))?,
                    name: Localized {
                        en: c.name_en,
                        fr: c.name_fr,
                        nl: c.name_nl,
                    },
                })
            })
            .collect::<Result<Vec<_>, sqlx::Error>>()?;
        countries.sort_by(|a, b| a.code.cmp(&b.code));
        let municipalities = municipality_choices(
            municipalities
                .into_iter()
                .map(|m| (m.slug, m.name, m.name_lang)),
        )?;
        Ok(FilterChoices {
            categories,
            statuses: Status::ALL.to_vec(),
            countries,
            municipalities,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_parse_from_query_values() {
        let q = [
            ("rights", "gender-equality"),
            ("status", "released"),
            ("country", ""),
            ("municipality", " brussels "),
        ];
        let get = |k: &str| q.iter().find(|(n, _)| *n == k).map(|(_, v)| *v);
        let f = PersonFilter::parse(get).unwrap();
        assert_eq!(f.rights, Some(RightsCategory::GenderEquality));
        assert_eq!(f.status, Some(Status::Released));
        assert_eq!(f.country, None);
        assert_eq!(f.municipality.unwrap().as_str(), "brussels");
    }

    #[test]
    fn an_unknown_filter_value_names_the_field() {
        let err = PersonFilter::parse(|k| (k == "status").then_some("free")).unwrap_err();
        assert_eq!(
            err,
            FilterError {
                field: "status",
                label: "filters.status",
                value: "free".into()
            }
        );
        let err = PersonFilter::parse(|k| (k == "country").then_some("saudi")).unwrap_err();
        assert_eq!(err.field, "country");
    }
}
