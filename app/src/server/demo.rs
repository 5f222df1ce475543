//! Demo data: the City of Brussels and the five persons it adopted, with
//! every dated fact its "International solidarity" page gives, and nothing
//! more. Where the page is silent (country, summary, status), so is the record.
//! Rights categories are linked only where the page names the right at stake.
use super::db::{BeginWrite, Db};
use super::timeline::{NewStatusEvent, Provenance, Timeline};
use crate::domain::{PartialDate, RightsCategory, Status};
use crate::on_pool;

const SOURCE: &str = "City of Brussels, “International solidarity”";
pub const MUNICIPALITY_SLUG: &str = "brussels";

struct DemoEvent {
    on: &'static str,
    status: Option<Status>,
    title: &'static str,
    body: Option<&'static str>,
}

struct DemoPerson {
    slug: &'static str,
    name: &'static str,
    aliases: &'static [&'static str],
    country: Option<&'static str>,
    summary: Option<&'static str>,
    rights: &'static [RightsCategory],
    adopted_on: &'static str,
    adoption_note: Option<&'static str>,
    events: &'static [DemoEvent],
}

const PERSONS: &[DemoPerson] = &[
    DemoPerson {
        slug: "vahid-afkari",
        name: "Vahid Afkari",
        aliases: &[],
        country: None,
        summary: None,
        rights: &[],
        adopted_on: "2022-12-05",
        adoption_note: None,
        events: &[],
    },
    DemoPerson {
        slug: "dorgelesse-nguessan",
        name: "Dorgelesse N'guessan",
        aliases: &["Dorgelesse Nguessan"],
        country: None,
        summary: None,
        rights: &[],
        adopted_on: "2022-12-05",
        adoption_note: None,
        events: &[],
    },
    DemoPerson {
        slug: "raif-badawi",
        name: "Raif Badawi",
        aliases: &[],
        country: Some("SA"),
        summary: Some(
            "Saudi writer and blogger who created the website Free Saudi Liberals in 2008, on which he \
             campaigned for a moral liberalisation of Saudi Arabia.",
        ),
        rights: &[RightsCategory::ConscienceAndReligion],
        adopted_on: "2021-01",
        adoption_note: None,
        events: &[
            DemoEvent {
                on: "2008",
                status: None,
                title: "Created the website Free Saudi Liberals",
                body: Some("<p>On it he campaigned for a moral liberalisation of Saudi Arabia.</p>"),
            },
            DemoEvent {
                on: "2012",
                status: Some(Status::Sentenced),
                title: "Charged with apostasy and insulting Islam, sentenced to 10 years in prison and 1,000 lashes",
                body: None,
            },
            DemoEvent { on: "2022-03-11", status: Some(Status::Released), title: "Released", body: None },
        ],
    },
    DemoPerson {
        slug: "loujain-al-hathloul",
        name: "Loujain al-Hathloul",
        aliases: &["Loujain Alhathloul"],
        country: Some("SA"),
        summary: Some("Saudi women's rights activist."),
        rights: &[RightsCategory::GenderEquality],
        adopted_on: "2021-01",
        adoption_note: None,
        events: &[
            DemoEvent {
                on: "2014",
                status: Some(Status::Arrested),
                title: "First arrested",
                body: Some("<p>On the basis of laws prohibiting women from driving in Saudi Arabia.</p>"),
            },
            DemoEvent {
                on: "2018-05",
                status: Some(Status::Detained),
                title: "Detained",
                body: Some(
                    "<p>For communicating with about 20 foreign journalists present in her country and for \
                     applying for a post at the UN.</p>",
                ),
            },
            DemoEvent {
                on: "2020-12-28",
                status: Some(Status::Sentenced),
                title: "Sentenced to 5 years and 8 months in prison",
                body: Some(
                    "<p>By a court specialising in anti-terrorism cases. She was found guilty of various \
                     activities prohibited by the Anti-Terrorism Act.</p>",
                ),
            },
            DemoEvent { on: "2021-02-10", status: Some(Status::Released), title: "Released", body: None },
        ],
    },
    DemoPerson {
        slug: "hamid-babaei",
        name: "Hamid Babaei",
        aliases: &[],
        country: Some("IR"),
        summary: Some("Iranian PhD student at the University of Liège (ULg)."),
        rights: &[],
        adopted_on: "2015",
        adoption_note: Some("The City of Brussels decided to support Hamid Babaei in 2015."),
        events: &[
            DemoEvent {
                on: "2013",
                status: Some(Status::Sentenced),
                title: "Imprisoned in Iran for 6 years",
                body: Some(
                    "<p>For “attacking national security through communication with hostile states” \
                     (Belgium). According to the City of Brussels, he was in reality criticised for not \
                     agreeing to mentor other Iranian students who were also studying in Belgium.</p>",
                ),
            },
            DemoEvent {
                on: "2019",
                status: Some(Status::Released),
                title: "Released",
                body: Some("<p>He finally got his visa to return to Liège and continue his thesis.</p>"),
            },
        ],
    },
];

#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    Loaded {
        persons: usize,
        events: usize,
        actions: usize,
    },
    AlreadyPresent,
    /// `only_if_empty` was asked and the database holds other data.
    NotEmpty,
}

struct SolidarityAction {
    slug: String,
    title: String,
    body_html: String,
}

/// One open action for each person who is not released: a plain message of
/// solidarity, addressed to the person, that claims nothing the seed does not say.
fn solidarity_action(person: &DemoPerson) -> Option<SolidarityAction> {
    let latest_status = person.events.iter().rev().find_map(|e| e.status);
    if latest_status == Some(Status::Released) {
        return None;
    }
    let adopted = date(person.adopted_on).format(crate::i18n::Locale::En);
    Some(SolidarityAction {
        slug: format!("solidarity-with-{}", person.slug),
        title: format!("Solidarity with {}", person.name),
        body_html: format!(
            "<p>The City of Brussels adopted {name} as a person at risk on {adopted}. \
             Add your name to this message of solidarity with {name}.</p>",
            name = person.name
        ),
    })
}

fn date(s: &str) -> PartialDate {
    PartialDate::parse(s).unwrap_or_else(|e| panic!("demo date {s:?}: {e}"))
}

fn parts(d: PartialDate) -> (i32, Option<i32>, Option<i32>) {
    (
        d.year_part(),
        d.month_part().map(i32::from),
        d.day_part().map(i32::from),
    )
}

/// Loads the demo data in one transaction. Idempotent: a second call finds the
/// City of Brussels and changes nothing.
pub async fn load(db: &Db, only_if_empty: bool) -> Result<Outcome, sqlx::Error> {
    on_pool!(db, |pool| {
        let mut tx = pool.begin_write().await?;
        let present: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM municipalities WHERE slug = $1")
                .bind(MUNICIPALITY_SLUG)
                .fetch_one(&mut *tx)
                .await?;
        if present > 0 {
            return Ok(Outcome::AlreadyPresent);
        }
        if only_if_empty {
            let persons: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM persons")
                .fetch_one(&mut *tx)
                .await?;
            if persons > 0 {
                return Ok(Outcome::NotEmpty);
            }
        }
        let municipality_id: i64 = sqlx::query_scalar(
            "INSERT INTO municipalities (slug, name, country_code, joined_year) VALUES ($1, $2, 'BE', 2015)
             RETURNING id",
        )
        .bind(MUNICIPALITY_SLUG)
        .bind("City of Brussels")
        .fetch_one(&mut *tx)
        .await?;

        let mut events = 0;
        let mut actions = 0;
        for person in PERSONS {
            let person_id: i64 = sqlx::query_scalar(
                "INSERT INTO persons (slug, full_name, country_code, summary, is_public)
                 VALUES ($1, $2, $3, $4, TRUE) RETURNING id",
            )
            .bind(person.slug)
            .bind(person.name)
            .bind(person.country)
            // Summaries are rich text, like those staff write.
            .bind(
                person
                    .summary
                    .map(|s| super::sanitize::rich_text(&format!("<p>{s}</p>"))),
            )
            .fetch_one(&mut *tx)
            .await?;
            for alias in person.aliases {
                sqlx::query("INSERT INTO person_aliases (person_id, alias) VALUES ($1, $2)")
                    .bind(person_id)
                    .bind(*alias)
                    .execute(&mut *tx)
                    .await?;
            }
            for right in person.rights {
                sqlx::query(
                    "INSERT INTO person_rights (person_id, rights_category_id)
                     SELECT $1, id FROM rights_categories WHERE slug = $2",
                )
                .bind(person_id)
                .bind(right.slug())
                .execute(&mut *tx)
                .await?;
            }
            let (y, m, d) = parts(date(person.adopted_on));
            sqlx::query(
                "INSERT INTO adoptions (person_id, municipality_id, adopted_year, adopted_month, adopted_day, note)
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(person_id)
            .bind(municipality_id)
            .bind(y)
            .bind(m)
            .bind(d)
            .bind(person.adoption_note)
            .execute(&mut *tx)
            .await?;
            for event in person.events {
                let body = event.body.map(super::sanitize::rich_text);
                let event = NewStatusEvent {
                    person_id,
                    status: event.status,
                    occurred_on: date(event.on),
                    title: event.title,
                    body_html: body.as_deref(),
                    source_title: Some(SOURCE),
                    source_url: None,
                    provenance: Provenance::Manual,
                    author: None,
                    published: true,
                };
                tx.insert_status_event(&event, super::clock::now()).await?;
                events += 1;
            }
            if let Some(action) = solidarity_action(person) {
                sqlx::query(
                    "INSERT INTO support_actions (person_id, slug, title, body_html, addressee, goal, opens_on, is_open,
                                                  municipality_id)
                     VALUES ($1, $2, $3, $4, $5, 1000, $6, TRUE, $7)",
                )
                .bind(person_id)
                .bind(&action.slug)
                .bind(&action.title)
                .bind(super::sanitize::rich_text(&action.body_html))
                .bind(person.name)
                .bind(chrono::Utc::now().date_naive())
                .bind(municipality_id)
                .execute(&mut *tx)
                .await?;
                actions += 1;
            }
        }
        tx.commit().await?;
        Ok(Outcome::Loaded {
            persons: PERSONS.len(),
            events,
            actions,
        })
    })
}
