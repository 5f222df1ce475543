//! Demo data: the City of Brussels and the five persons it adopted, with
//! every dated fact its "International solidarity" page gives, and nothing
//! more. Where the page is silent (country, summary, status), so is the record.
//! Rights categories are linked only where the page names the right at stake.
use app::domain::{PartialDate, RightsCategory, Status};
use app::i18n::Locale;
use app::on_pool;
use app::records::timeline::{NewStatusEvent, Provenance, Timeline};
use app::records::translations::{Field, NewTranslation, Translations};
use app::server::clock;
use app::server::db::{BeginWrite, Db};
use std::future::Future;

/// Why the demo persons' consent says "public sources only".
const DEMO_CONSENT_NOTE: &str =
    "Demo data: every published fact comes from the City of Brussels' public page on international solidarity.";

/// A demo text in English (the seed's language, so the original) with its
/// French and Dutch translations: the City of Brussels works in both.
struct Texts {
    en: &'static str,
    fr: &'static str,
    nl: &'static str,
}

impl Texts {
    fn translations(&self) -> [(Locale, &'static str); 2] {
        [(Locale::Fr, self.fr), (Locale::Nl, self.nl)]
    }
}

const SOURCE: Texts = Texts {
    en: "City of Brussels, “International solidarity”",
    fr: "Ville de Bruxelles, « Solidarité internationale »",
    nl: "Stad Brussel, „Internationale solidariteit”",
};
const MUNICIPALITY_NAME: Texts = Texts {
    en: "City of Brussels",
    fr: "Ville de Bruxelles",
    nl: "Stad Brussel",
};
const RELEASED: Texts = Texts {
    en: "Released",
    fr: "Libéré",
    nl: "Vrijgelaten",
};
const RELEASED_F: Texts = Texts {
    en: "Released",
    fr: "Libérée",
    nl: "Vrijgelaten",
};
pub const MUNICIPALITY_SLUG: &str = "brussels";

struct DemoEvent {
    on: &'static str,
    status: Option<Status>,
    title: Texts,
    body: Option<Texts>,
}

struct DemoPerson {
    slug: &'static str,
    name: &'static str,
    aliases: &'static [&'static str],
    country: Option<&'static str>,
    summary: Option<Texts>,
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
        summary: Some(Texts {
            en: "Saudi writer and blogger who created the website Free Saudi Liberals in 2008, on which he \
                 campaigned for a moral liberalisation of Saudi Arabia.",
            fr: "Écrivain et blogueur saoudien qui a créé en 2008 le site internet Free Saudi Liberals, sur \
                 lequel il militait pour une libéralisation morale de l’Arabie saoudite.",
            nl: "Saoedische schrijver en blogger die in 2008 de website Free Saudi Liberals oprichtte, waarop \
                 hij campagne voerde voor een morele liberalisering van Saoedi-Arabië.",
        }),
        rights: &[RightsCategory::ConscienceAndReligion],
        adopted_on: "2021-01",
        adoption_note: None,
        events: &[
            DemoEvent {
                on: "2008",
                status: None,
                title: Texts {
                    en: "Created the website Free Saudi Liberals",
                    fr: "Crée le site internet Free Saudi Liberals",
                    nl: "Richt de website Free Saudi Liberals op",
                },
                body: Some(Texts {
                    en: "<p>On it he campaigned for a moral liberalisation of Saudi Arabia.</p>",
                    fr: "<p>Il y milite pour une libéralisation morale de l’Arabie saoudite.</p>",
                    nl: "<p>Daarop voert hij campagne voor een morele liberalisering van Saoedi-Arabië.</p>",
                }),
            },
            DemoEvent {
                on: "2012",
                status: Some(Status::Sentenced),
                title: Texts {
                    en: "Charged with apostasy and insulting Islam, sentenced to 10 years in prison and 1,000 lashes",
                    fr: "Accusé d’apostasie et d’insulte à l’islam, condamné à 10 ans de prison et 1 000 coups de fouet",
                    nl: "Beschuldigd van afvalligheid en belediging van de islam, veroordeeld tot 10 jaar cel en 1.000 zweepslagen",
                },
                body: None,
            },
            DemoEvent { on: "2022-03-11", status: Some(Status::Released), title: RELEASED, body: None },
        ],
    },
    DemoPerson {
        slug: "loujain-al-hathloul",
        name: "Loujain al-Hathloul",
        aliases: &["Loujain Alhathloul"],
        country: Some("SA"),
        summary: Some(Texts {
            en: "Saudi women's rights activist.",
            fr: "Militante saoudienne des droits des femmes.",
            nl: "Saoedische activiste voor vrouwenrechten.",
        }),
        rights: &[RightsCategory::GenderEquality],
        adopted_on: "2021-01",
        adoption_note: None,
        events: &[
            DemoEvent {
                on: "2014",
                status: Some(Status::Arrested),
                title: Texts {
                    en: "First arrested",
                    fr: "Première arrestation",
                    nl: "Voor het eerst gearresteerd",
                },
                body: Some(Texts {
                    en: "<p>On the basis of laws prohibiting women from driving in Saudi Arabia.</p>",
                    fr: "<p>En vertu des lois interdisant aux femmes de conduire en Arabie saoudite.</p>",
                    nl: "<p>Op grond van de wetten die vrouwen in Saoedi-Arabië verboden auto te rijden.</p>",
                }),
            },
            DemoEvent {
                on: "2018-05",
                status: Some(Status::Detained),
                title: Texts { en: "Detained", fr: "Détenue", nl: "Gedetineerd" },
                body: Some(Texts {
                    en: "<p>For communicating with about 20 foreign journalists present in her country and for \
                         applying for a post at the UN.</p>",
                    fr: "<p>Pour avoir communiqué avec une vingtaine de journalistes étrangers présents dans son \
                         pays et pour avoir postulé à un poste à l’ONU.</p>",
                    nl: "<p>Omdat ze contact had met een twintigtal buitenlandse journalisten in haar land en had \
                         gesolliciteerd naar een functie bij de VN.</p>",
                }),
            },
            DemoEvent {
                on: "2020-12-28",
                status: Some(Status::Sentenced),
                title: Texts {
                    en: "Sentenced to 5 years and 8 months in prison",
                    fr: "Condamnée à 5 ans et 8 mois de prison",
                    nl: "Veroordeeld tot 5 jaar en 8 maanden cel",
                },
                body: Some(Texts {
                    en: "<p>By a court specialising in anti-terrorism cases. She was found guilty of various \
                         activities prohibited by the Anti-Terrorism Act.</p>",
                    fr: "<p>Par un tribunal spécialisé dans les affaires de terrorisme. Elle a été reconnue \
                         coupable de diverses activités interdites par la loi antiterroriste.</p>",
                    nl: "<p>Door een rechtbank gespecialiseerd in terrorismezaken. Ze werd schuldig bevonden aan \
                         verschillende activiteiten die de antiterrorismewet verbiedt.</p>",
                }),
            },
            DemoEvent { on: "2021-02-10", status: Some(Status::Released), title: RELEASED_F, body: None },
        ],
    },
    DemoPerson {
        slug: "hamid-babaei",
        name: "Hamid Babaei",
        aliases: &[],
        country: Some("IR"),
        summary: Some(Texts {
            en: "Iranian PhD student at the University of Liège (ULg).",
            fr: "Doctorant iranien à l’Université de Liège (ULg).",
            nl: "Iraanse doctoraatsstudent aan de Universiteit van Luik (ULg).",
        }),
        rights: &[],
        adopted_on: "2015",
        adoption_note: Some("The City of Brussels decided to support Hamid Babaei in 2015."),
        events: &[
            DemoEvent {
                on: "2013",
                status: Some(Status::Sentenced),
                title: Texts {
                    en: "Imprisoned in Iran for 6 years",
                    fr: "Emprisonné en Iran pour 6 ans",
                    nl: "In Iran gevangengezet voor 6 jaar",
                },
                body: Some(Texts {
                    en: "<p>For “attacking national security through communication with hostile states” \
                         (Belgium). According to the City of Brussels, he was in reality criticised for not \
                         agreeing to mentor other Iranian students who were also studying in Belgium.</p>",
                    fr: "<p>Pour « atteinte à la sécurité nationale par communication avec des États hostiles » \
                         (la Belgique). Selon la Ville de Bruxelles, on lui reprochait en réalité d’avoir refusé \
                         d’encadrer d’autres étudiants iraniens qui étudiaient eux aussi en Belgique.</p>",
                    nl: "<p>Wegens „aantasting van de nationale veiligheid door contact met vijandige staten” \
                         (België). Volgens de Stad Brussel werd hem in werkelijkheid verweten dat hij weigerde \
                         andere Iraanse studenten te begeleiden die ook in België studeerden.</p>",
                }),
            },
            DemoEvent {
                on: "2019",
                status: Some(Status::Released),
                title: RELEASED,
                body: Some(Texts {
                    en: "<p>He finally got his visa to return to Liège and continue his thesis.</p>",
                    fr: "<p>Il a finalement obtenu son visa pour retourner à Liège et poursuivre sa thèse.</p>",
                    nl: "<p>Hij kreeg uiteindelijk zijn visum om naar Luik terug te keren en zijn proefschrift \
                         voort te zetten.</p>",
                }),
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
    /// Title and text in each language.
    texts: Vec<(Locale, String, String)>,
}

/// One open action for each person who is not released: a plain message of
/// solidarity, addressed to the person, that claims nothing the seed does not say.
fn solidarity_action(person: &DemoPerson) -> Option<SolidarityAction> {
    let latest_status = person.events.iter().rev().find_map(|e| e.status);
    if latest_status == Some(Status::Released) {
        return None;
    }
    let adopted = date(person.adopted_on);
    let name = person.name;
    let texts = Locale::ALL
        .into_iter()
        .map(|locale| {
            let on = adopted.format(locale);
            let (title, body) = match locale {
                Locale::En => (
                    format!("Solidarity with {name}"),
                    format!(
                        "<p>The City of Brussels adopted {name} as a person at risk on {on}. \
                         Add your name to this message of solidarity with {name}.</p>"
                    ),
                ),
                Locale::Fr => (
                    format!("Solidarité avec {name}"),
                    format!(
                        "<p>La Ville de Bruxelles a adopté {name} comme personne en danger le {on}. \
                         Ajoutez votre nom à ce message de solidarité avec {name}.</p>"
                    ),
                ),
                Locale::Nl => (
                    format!("Solidariteit met {name}"),
                    format!(
                        "<p>De Stad Brussel heeft {name} op {on} geadopteerd als persoon in gevaar. \
                         Zet uw naam onder deze solidariteitsboodschap aan {name}.</p>"
                    ),
                ),
            };
            (locale, title, body)
        })
        .collect();
    Some(SolidarityAction {
        slug: format!("solidarity-with-{}", person.slug),
        texts,
    })
}

/// Writes the French and Dutch of one demo text of a record.
async fn translate<C: Translations + Send>(
    conn: &mut C,
    field: Field,
    record_id: i64,
    texts: impl IntoIterator<Item = (Locale, String)>,
) -> Result<(), sqlx::Error> {
    for (language, text) in texts {
        if language == Locale::En {
            continue;
        }
        let translation = NewTranslation {
            field,
            record_id,
            language,
            text: &text,
            by: None,
        };
        conn.save_translation(&translation, app::server::clock::now())
            .await?;
    }
    Ok(())
}

fn rich(texts: &Texts) -> impl Iterator<Item = (Locale, String)> + '_ {
    texts
        .translations()
        .into_iter()
        .map(|(l, t)| (l, app::server::sanitize::rich_text(t)))
}

fn plain(texts: &Texts) -> impl Iterator<Item = (Locale, String)> + '_ {
    texts
        .translations()
        .into_iter()
        .map(|(l, t)| (l, t.to_owned()))
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
        if let Some(outcome) = tx.loaded_before(only_if_empty).await? {
            return Ok(outcome);
        }
        let municipality_id = tx.write_municipality().await?;
        let (mut events, mut actions) = (0, 0);
        for person in PERSONS {
            let person_id = tx.write_person(person, municipality_id).await?;
            events += tx.write_events(person_id, person.events).await?;
            if tx.write_action(person, person_id, municipality_id).await? {
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

/// The demo's writes, each on the connection of the one transaction that
/// loads it all.
trait DemoWrites {
    /// Why nothing is loaded, if nothing is: the City of Brussels is there
    /// already, or other data is and `only_if_empty` was asked.
    fn loaded_before(
        &mut self,
        only_if_empty: bool,
    ) -> impl Future<Output = Result<Option<Outcome>, sqlx::Error>> + Send;

    /// The City of Brussels with its languages; its id.
    fn write_municipality(&mut self) -> impl Future<Output = Result<i64, sqlx::Error>> + Send;

    /// A person, public, with their summary, aliases, rights and the
    /// municipality's adoption; their id.
    fn write_person(
        &mut self,
        person: &DemoPerson,
        municipality_id: i64,
    ) -> impl Future<Output = Result<i64, sqlx::Error>> + Send;

    /// The person's dated facts, published, each in three languages; how many.
    fn write_events(
        &mut self,
        person_id: i64,
        events: &[DemoEvent],
    ) -> impl Future<Output = Result<usize, sqlx::Error>> + Send;

    /// The person's open message of solidarity, unless they are released;
    /// whether there is one.
    fn write_action(
        &mut self,
        person: &DemoPerson,
        person_id: i64,
        municipality_id: i64,
    ) -> impl Future<Output = Result<bool, sqlx::Error>> + Send;
}

app::impl_for_connections! {
    impl DemoWrites {
        async fn loaded_before(&mut self, only_if_empty: bool) -> Result<Option<Outcome>, sqlx::Error> {
            let present: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM municipalities WHERE slug = $1")
                .bind(MUNICIPALITY_SLUG)
                .fetch_one(&mut *self)
                .await?;
            if present > 0 {
                return Ok(Some(Outcome::AlreadyPresent));
            }
            if only_if_empty {
                let persons: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM persons")
                    .fetch_one(&mut *self)
                    .await?;
                if persons > 0 {
                    return Ok(Some(Outcome::NotEmpty));
                }
            }
            Ok(None)
        }

        async fn write_municipality(&mut self) -> Result<i64, sqlx::Error> {
            let municipality_id: i64 = sqlx::query_scalar(
                "INSERT INTO municipalities (slug, name, country_code, joined_year) VALUES ($1, $2, 'BE', 2015)
                 RETURNING id",
            )
            .bind(MUNICIPALITY_SLUG)
            .bind(MUNICIPALITY_NAME.en)
            .fetch_one(&mut *self)
            .await?;
            translate(&mut *self, Field::MunicipalityName, municipality_id, plain(&MUNICIPALITY_NAME)).await?;
            // Brussels is bilingual: French and Dutch before anything is published.
            for (language, required) in [(Locale::Fr, true), (Locale::Nl, true), (Locale::En, false)] {
                sqlx::query(
                    "INSERT INTO municipality_languages (municipality_id, language, required) VALUES ($1, $2, $3)",
                )
                .bind(municipality_id)
                .bind(language.code())
                .bind(required)
                .execute(&mut *self)
                .await?;
            }
            Ok(municipality_id)
        }

        async fn write_person(&mut self, person: &DemoPerson, municipality_id: i64) -> Result<i64, sqlx::Error> {
            // Summaries are rich text, like those staff write.
            let summary = |text: &str| app::server::sanitize::rich_text(&format!("<p>{text}</p>"));
            let person_id: i64 = sqlx::query_scalar(
                "INSERT INTO persons (slug, full_name, country_code, summary, is_public)
                 VALUES ($1, $2, $3, $4, TRUE) RETURNING id",
            )
            .bind(person.slug)
            .bind(person.name)
            .bind(person.country)
            .bind(person.summary.as_ref().map(|s| summary(s.en)))
            .fetch_one(&mut *self)
            .await?;
            if let Some(texts) = &person.summary {
                let translations = texts.translations().map(|(l, t)| (l, summary(t)));
                translate(&mut *self, Field::PersonSummary, person_id, translations).await?;
            }
            for alias in person.aliases {
                sqlx::query("INSERT INTO person_aliases (person_id, alias) VALUES ($1, $2)")
                    .bind(person_id)
                    .bind(*alias)
                    .execute(&mut *self)
                    .await?;
            }
            for right in person.rights {
                sqlx::query(
                    "INSERT INTO person_rights (person_id, rights_category_id)
                     SELECT $1, id FROM rights_categories WHERE slug = $2",
                )
                .bind(person_id)
                .bind(right.slug())
                .execute(&mut *self)
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
            .execute(&mut *self)
            .await?;
            // What the demo publishes comes from the City of Brussels' public
            // page: consent on record as "public sources only", for the name,
            // the story and the country (no portrait); the risk is for staff
            // to assess, and the first review is a season away.
            let today = clock::today_date();
            sqlx::query(
                "INSERT INTO person_consents (person_id, given_by, given_on, covers_name, covers_portrait, covers_story,
                                              covers_location, note, risk, review_on, recorded_at)
                 VALUES ($1, 'public-sources', $2, TRUE, FALSE, TRUE, TRUE, $3, 'unassessed', $4, $5)",
            )
            .bind(person_id)
            .bind(today)
            .bind(DEMO_CONSENT_NOTE)
            .bind(today + chrono::Days::new(90))
            .bind(clock::now())
            .execute(&mut *self)
            .await?;
            Ok(person_id)
        }

        async fn write_events(&mut self, person_id: i64, events: &[DemoEvent]) -> Result<usize, sqlx::Error> {
            for event in events {
                let body = event.body.as_ref().map(|b| app::server::sanitize::rich_text(b.en));
                let new = NewStatusEvent {
                    person_id,
                    status: event.status,
                    occurred_on: date(event.on),
                    title: event.title.en,
                    body_html: body.as_deref(),
                    source_title: Some(SOURCE.en),
                    source_url: None,
                    provenance: Provenance::Manual,
                    author: None,
                    published: true,
                    original_language: Locale::En,
                };
                let id = self.insert_status_event(&new, app::server::clock::now()).await?;
                translate(&mut *self, Field::StatusEventTitle, id, plain(&event.title)).await?;
                if let Some(body) = &event.body {
                    translate(&mut *self, Field::StatusEventBody, id, rich(body)).await?;
                }
                translate(&mut *self, Field::StatusEventSourceTitle, id, plain(&SOURCE)).await?;
            }
            Ok(events.len())
        }

        async fn write_action(&mut self, person: &DemoPerson, person_id: i64, municipality_id: i64) -> Result<bool, sqlx::Error> {
            let Some(action) = solidarity_action(person) else {
                return Ok(false);
            };
            let (_, title, body) = &action.texts[0];
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO support_actions (person_id, slug, title, body_html, addressee, goal, opens_on, is_open,
                                              municipality_id)
                 VALUES ($1, $2, $3, $4, $5, 1000, $6, TRUE, $7) RETURNING id",
            )
            .bind(person_id)
            .bind(&action.slug)
            .bind(title)
            .bind(app::server::sanitize::rich_text(body))
            .bind(person.name)
            .bind(app::server::clock::today_date())
            .bind(municipality_id)
            .fetch_one(&mut *self)
            .await?;
            // Collected first: a borrowing iterator held across an await
            // would make the future not `Send`.
            let titles: Vec<_> = action.texts.iter().map(|(l, t, _)| (*l, t.clone())).collect();
            translate(&mut *self, Field::SupportActionTitle, id, titles).await?;
            let bodies: Vec<_> = action
                .texts
                .iter()
                .map(|(l, _, b)| (*l, app::server::sanitize::rich_text(b)))
                .collect();
            translate(&mut *self, Field::SupportActionBody, id, bodies).await?;
            // A name reads the same in every language.
            let addressee = [Locale::Fr, Locale::Nl].map(|l| (l, person.name.to_owned()));
            translate(&mut *self, Field::SupportActionAddressee, id, addressee).await?;
            Ok(true)
        }
    }
}
