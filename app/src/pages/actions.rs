//! `/actions` (every support action of a public person, filtered) and
//! `/actions/{slug}`: a support action, its progress and whether it is open.
use super::errors::{ErrorPage, InternalError, NotFound};
use crate::api::actions::{
    get_support_action, list_actions, ActionFilter, Answer, Delivery, SupportActionDetail,
};
use crate::api::places::country_choices;
use crate::components::action::ActionCardView;
use crate::components::filter_form::{ActionFilterFields, FilterForm};
use crate::components::{sign_form::SignForm, DateText, ServerOnly, UntranslatedNote};
use crate::domain::{Availability, CountryCode, PartialDate, Slug};
use crate::i18n::use_locale;
use crate::signing::form::SignFlash;
use leptos::prelude::*;
use leptos_meta::{Meta, Title};
use leptos_router::hooks::use_query_map;

#[component]
pub fn ActionsPage() -> impl IntoView {
    let locale = use_locale();
    if super::unknown_language_prefix() {
        return view! { <NotFound /> }.into_any();
    }
    let query = use_query_map().get_untracked();
    let parsed = ActionFilter::parse(|name| query.get_str(name));
    let filter = parsed.clone().unwrap_or_default();
    let data = Resource::new(|| (), move |_| list_actions(filter.clone(), locale));
    let title = locale.t("actions.title");
    view! {
        <Title text=title.clone() />
        <Meta name="description" content=locale.t("actions.description") />
        <h1>{title}</h1>
        <Suspense>
            {move || {
                let parsed = parsed.clone();
                Suspend::new(async move {
                    let list = match data.await {
                        Ok(list) => list,
                        Err(error) => return view! { <InternalError error /> }.into_any(),
                    };
                    let action = locale.path("/actions", false);
                    let names = ActionFilter::FIELDS.map(String::from).to_vec();
                    match parsed {
                        Err(error) => {
                            let message = error.message(locale);
                            view! {
                                <FilterForm action names>
                                    <ActionFilterFields
                                        locale
                                        municipalities=list.municipalities
                                        selected=ActionFilter::default()
                                    />
                                </FilterForm>
                                <ErrorPage status=400 message />
                            }
                                .into_any()
                        }
                        Ok(selected) => {
                            let count = list.actions.len();
                            let filtered = !selected.is_empty();
                            view! {
                                <FilterForm action names>
                                    <ActionFilterFields
                                        locale
                                        municipalities=list.municipalities
                                        selected
                                    />
                                </FilterForm>
                                <p class="result-count" role="status">
                                    {locale.counted("actions.count", count)}
                                </p>
                                {(count == 0 && filtered)
                                    .then(|| view! { <p>{locale.t("actions.none_match")}</p> })}
                                <ul class="action-cards">
                                    {list
                                        .actions
                                        .into_iter()
                                        .map(|card| view! { <ActionCardView card top=true /> })
                                        .collect_view()}
                                </ul>
                            }
                                .into_any()
                        }
                    }
                })
            }}
        </Suspense>
    }
    .into_any()
}

#[component]
pub fn SupportActionPage() -> impl IntoView {
    if super::unknown_language_prefix() {
        return view! { <NotFound /> }.into_any();
    }
    let Ok(slug) = Slug::parse(&super::slug_param()) else {
        return view! { <NotFound /> }.into_any();
    };
    let locale = use_locale();
    let data = Resource::new(|| (), move |_| get_support_action(slug.clone(), locale));
    let countries = Resource::new(|| (), move |_| country_choices(locale));
    view! {
        <Suspense>
            {move || Suspend::new(async move {
                match (data.await, countries.await) {
                    (Ok(Some(action)), Ok(countries)) => {
                        view! { <SupportActionView action countries /> }.into_any()
                    }
                    (Ok(None), _) => view! { <NotFound /> }.into_any(),
                    (Err(error), _) | (_, Err(error)) => {
                        view! { <InternalError error /> }.into_any()
                    }
                }
            })}
        </Suspense>
    }
    .into_any()
}

#[component]
fn SupportActionView(
    action: SupportActionDetail,
    countries: Vec<(CountryCode, String)>,
) -> impl IntoView {
    let locale = use_locale();
    let flash: Option<SignFlash> = {
        #[cfg(feature = "ssr")]
        {
            crate::signing::on_server::take_flash(&action.slug)
        }
        #[cfg(not(feature = "ssr"))]
        {
            None
        }
    };
    let form = (action.availability == Availability::Open).then(|| {
        let chosen = flash
            .as_ref()
            .map(|f| f.values.country.clone())
            .unwrap_or_default();
        let (values, outcome) = match flash {
            Some(flash) => (flash.values, Some(flash.result)),
            None => Default::default(),
        };
        view! {
            <SignForm
                locale
                action=ServerOnly(action.slug.to_string())
                values=ServerOnly(values)
                outcome
            >
                <select id="country" name="country" autocomplete="country">
                    <option value="">{locale.t("sign.country_none")}</option>
                    {countries
                        .into_iter()
                        .map(|(code, name)| {
                            let selected = code.as_str() == chosen;
                            view! {
                                <option value=code.to_string() selected=selected>
                                    {name}
                                </option>
                            }
                        })
                        .collect_view()}
                </select>
            </SignForm>
        }
    });
    let person_href = locale.path(&format!("/persons/{}", action.person_slug), false);
    let progress_max = action.goal.max(1);
    // Once delivered, the count is what was handed over.
    let (online, paper) = match &action.delivery {
        Some(d) => (d.signatures, d.paper_signatures),
        None => (action.confirmed, action.paper),
    };
    let counted = online + paper;
    let progress_value = counted.min(progress_max);
    let breakdown = locale.count_breakdown(online, paper);
    let description = locale
        .t("action.meta_description")
        .replace("%{name}", &action.person_name);
    let status = match action.availability {
        Availability::Open => None,
        Availability::NotYetOpen => Some(
            view! {
                <p class="action-closed" role="status">
                    {locale.t("action.not_yet_open_long")}
                    " "
                    <DateText date=action.opens_on />
                </p>
            }
            .into_any(),
        ),
        Availability::DeadlinePassed => Some(
            view! {
                <p class="action-closed" role="status">
                    {locale.t("action.deadline_passed_long")}
                    " "
                    {action.closes_on.map(|d| view! { <DateText date=d /> })}
                </p>
            }
            .into_any(),
        ),
        Availability::ClosedByOrganisers => Some(
            view! {
                <p class="action-closed" role="status">
                    {locale.t("action.closed_by_organisers_long")}
                </p>
            }
            .into_any(),
        ),
        Availability::Delivered => Some(
            view! {
                <p class="action-closed" role="status">
                    {locale.t("action.delivered_long")}
                </p>
            }
            .into_any(),
        ),
    };
    let delivered = action.delivery.is_some();
    let delivery = action
        .delivery
        .clone()
        .map(|delivery| view! { <DeliveryView delivery /> });
    let answer = action
        .answer
        .clone()
        .map(|answer| view! { <AnswerView answer /> });
    let structured = structured_data(locale, &action);
    view! {
        <Title text=action.title.text.clone() />
        <crate::components::JsonLd data=structured />
        <Meta name="description" content=description.clone() />
        <Meta property="og:title" content=action.title.text.clone() />
        <Meta property="og:description" content=description />
        <article class="support-action" data-availability=action.availability.slug()>
            <h1 lang=action.title.lang_attr(locale)>{action.title.text.clone()}</h1>
            <p class="for-person">
                {locale.t("action.for")} " " <a href=person_href>{action.person_name}</a>
            </p>
            <p class="addressee">
                <span class="label">{locale.t("action.addressee")}</span>
                " "
                <span lang=action.addressee.lang_attr(locale)>{action.addressee.text.clone()}</span>
            </p>
            <div
                class="action-text"
                lang=action.body_html.lang_attr(locale)
                inner_html=action.body_html.text.clone()
            ></div>
            <UntranslatedNote texts=vec![
                Some(action.title),
                Some(action.addressee),
                Some(action.body_html),
            ] />
            <section class="progress" aria-labelledby="progress-heading">
                <h2 id="progress-heading">
                    {locale
                        .t(
                            if delivered {
                                "action.final_count_heading"
                            } else {
                                "action.progress_heading"
                            },
                        )}
                </h2>
                <p class="signature-count">{locale.signature_count(counted, action.goal)}</p>
                {breakdown.map(|text| view! { <p class="count-breakdown">{text}</p> })}
                <progress
                    max=progress_max
                    value=progress_value
                    aria-labelledby="progress-heading"
                ></progress>
                <p class="deadline">
                    {match action.closes_on {
                        Some(d) => {
                            view! {
                                {locale.t("action.closes_on")}
                                " "
                                <DateText date=d />
                            }
                                .into_any()
                        }
                        None => view! { {locale.t("action.no_deadline")} }.into_any(),
                    }}
                </p>
            </section>
            {delivery}
            {answer}
            <CumulativeChart per_day=action.per_day.clone() />
            <SignatureChart per_day=action.per_day />
            {(!action.recent_signers.is_empty())
                .then(|| {
                    view! {
                        <section class="recent-signers" aria-labelledby="recent-heading">
                            <h2 id="recent-heading">{locale.t("action.recent_heading")}</h2>
                            <ul>
                                {action
                                    .recent_signers
                                    .into_iter()
                                    .map(|signer| {
                                        view! {
                                            <li>
                                                {signer.first_name}{signer.place.map(|p| format!(", {p}"))}
                                            </li>
                                        }
                                    })
                                    .collect_view()}
                            </ul>
                        </section>
                    }
                })}
            {status}
            {form}
        </article>
    }
}

/// When, to whom and how the signatures were handed over.
#[component]
fn DeliveryView(delivery: Delivery) -> impl IntoView {
    let locale = use_locale();
    let lang = delivery.recipient.lang_attr(locale);
    // Written once, in one language: said, not marked as awaiting translation.
    let written_in = lang.map(|_| {
        locale.t("delivery.written_in").replace(
            "%{language}",
            &locale.language_name(delivery.recipient.lang),
        )
    });
    view! {
        <section class="delivery" aria-labelledby="delivery-heading">
            <h2 id="delivery-heading">{locale.t("delivery.public_heading")}</h2>
            <dl>
                <dt>{locale.t("delivery.delivered_on")}</dt>
                <dd>
                    <DateText date=delivery.delivered_on />
                </dd>
                <dt>{locale.t("delivery.recipient")}</dt>
                <dd lang=lang>{delivery.recipient.text.clone()}</dd>
                <dt>{locale.t("delivery.method")}</dt>
                <dd>{locale.t(&delivery.method.label_key())}</dd>
                <dt>{locale.t("delivery.signatures")}</dt>
                <dd class="delivered-count">
                    {locale.number(delivery.signatures + delivery.paper_signatures)}
                    {locale
                        .count_breakdown(delivery.signatures, delivery.paper_signatures)
                        .map(|text| format!(" ({text})"))}
                </dd>
            </dl>
            {delivery
                .note_html
                .map(|note| {
                    view! { <div class="delivery-note" lang=lang inner_html=note.text></div> }
                })}
            {delivery
                .proof_url
                .map(|url| {
                    view! {
                        <p>
                            <a href=url rel="noopener noreferrer">
                                {locale.t("delivery.proof_link")}
                            </a>
                        </p>
                    }
                })}
            {written_in.map(|note| view! { <p class="untranslated">{note}</p> })}
        </section>
    }
}

/// The addressee's response, or that none came (yet).
#[component]
fn AnswerView(answer: Answer) -> impl IntoView {
    let locale = use_locale();
    let content = match answer {
        Answer::Given(response) => {
            let summary_lang = response.summary.lang_attr(locale);
            let body = response.body_html.clone().map(|body| {
                view! { <div class="response-text" lang=body.lang_attr(locale) inner_html=body.text></div> }
            });
            view! {
                <p class="response-date">
                    {locale.t("response.answered_on")} " " <DateText date=response.responded_on />
                </p>
                <p class="response-summary" lang=summary_lang>
                    {response.summary.text.clone()}
                </p>
                {body}
                {response
                    .source_url
                    .map(|url| {
                        view! {
                            <p>
                                <a href=url rel="noopener noreferrer">
                                    {locale.t("response.source_link")}
                                </a>
                            </p>
                        }
                    })}
                <UntranslatedNote texts=vec![Some(response.summary), response.body_html] />
            }
            .into_any()
        }
        Answer::AwaitedBy(by) => view! { <p class="response-awaited">{locale.t("response.awaited_by")} " " <DateText date=by /></p> }
        .into_any(),
        Answer::NoneBy(by) => view! { <p class="no-answer">{locale.t("response.none_by")} " " <DateText date=by /></p> }
        .into_any(),
    };
    view! {
        <section class="response" aria-labelledby="response-heading">
            <h2 id="response-heading">{locale.t("response.heading")}</h2>
            {content}
        </section>
    }
}

/// The support action as schema.org sees it: a `CreativeWork` about the
/// person, its signatures (confirmed online and on paper) counted as
/// endorsements.
fn structured_data(locale: crate::i18n::Locale, action: &SupportActionDetail) -> serde_json::Value {
    use crate::components::full_address;
    let mut data = serde_json::json!({
        "@context": "https://schema.org",
        "@type": "CreativeWork",
        "name": action.title.text,
        "inLanguage": action.title.lang.code(),
        "url": full_address(&locale.path(&format!("/actions/{}", action.slug), false)),
        "about": {
            "@type": "Person",
            "@id": format!("{}#person", full_address(&locale.path(&format!("/persons/{}", action.person_slug), false))),
            "name": action.person_name,
        },
        "description": crate::text::plain_text(&action.body_html.text),
        "interactionStatistic": {
            "@type": "InteractionCounter",
            "interactionType": { "@type": "EndorseAction" },
            "userInteractionCount": action.confirmed + action.paper,
        },
    });
    if let Some(deadline) = action.closes_on {
        data["expires"] = deadline.to_string().into();
    }
    data
}

/// The drawing area of a chart, in SVG units (it scales to the page).
const CHART_WIDTH: f64 = 600.0;
const CHART_HEIGHT: f64 = 120.0;

/// The count over time as a server-drawn SVG line (confirmed signatures up
/// to the end of each day), with the same figures as a table.
#[component]
fn CumulativeChart(per_day: Vec<(PartialDate, i64)>) -> impl IntoView {
    let locale = use_locale();
    let (Some(&(first, _)), Some(&(last, _))) = (per_day.first(), per_day.last()) else {
        return None;
    };
    let mut total = 0;
    let running: Vec<(PartialDate, i64)> = per_day
        .into_iter()
        .map(|(day, n)| {
            total += n;
            (day, total)
        })
        .collect();
    let top = total.max(1) as f64;
    // One day alone is drawn as a level line across.
    let step = CHART_WIDTH / (running.len().max(2) - 1) as f64;
    let mut points: Vec<String> = running
        .iter()
        .enumerate()
        .map(|(i, (_, n))| {
            format!(
                "{:.2},{:.2}",
                i as f64 * step,
                CHART_HEIGHT - *n as f64 / top * CHART_HEIGHT
            )
        })
        .collect();
    if running.len() == 1 {
        points.push(format!(
            "{CHART_WIDTH:.2},{:.2}",
            CHART_HEIGHT - total as f64 / top * CHART_HEIGHT
        ));
    }
    // The table lists the days the count moved.
    let changed: Vec<(PartialDate, i64)> = running
        .iter()
        .enumerate()
        .filter(|(i, (_, n))| *i == 0 || running[*i - 1].1 != *n)
        .map(|(_, day)| *day)
        .collect();
    let description = locale
        .t("action.cumulative_description")
        .replace("%{first}", &first.format(locale))
        .replace("%{last}", &last.format(locale))
        .replace("%{total}", &locale.number(total));
    Some(view! {
        <ChartFrame
            id="cumulative"
            class="cumulative"
            heading=locale.t("action.cumulative_heading")
            description
            first
            last
            count_label=locale.t("action.cumulative_count")
            rows=changed.into_iter().rev().collect()
        >
            <polyline points=points.join(" ") />
        </ChartFrame>
    })
}

/// Confirmed signatures per day as server-drawn SVG bars.
#[component]
fn SignatureChart(per_day: Vec<(PartialDate, i64)>) -> impl IntoView {
    let locale = use_locale();
    let (Some(&(first, _)), Some(&(last, _))) = (per_day.first(), per_day.last()) else {
        return None;
    };
    let max = per_day.iter().map(|(_, n)| *n).max().unwrap_or(1).max(1);
    let slot = CHART_WIDTH / per_day.len() as f64;
    let gap = if slot > 4.0 { 1.0 } else { 0.0 };
    let bars = per_day
        .iter()
        .enumerate()
        .map(|(i, (day, n))| {
            let height =
                (*n as f64 / max as f64 * CHART_HEIGHT).max(if *n > 0 { 1.0 } else { 0.0 });
            view! {
                <rect
                    class="bar"
                    x=format!("{:.2}", i as f64 * slot)
                    y=format!("{:.2}", CHART_HEIGHT - height)
                    width=format!("{:.2}", (slot - gap).max(0.5))
                    height=format!("{height:.2}")
                >
                    <title>{format!("{}: {n}", day.format(locale))}</title>
                </rect>
            }
        })
        .collect_view();
    let description = locale
        .t("action.chart_description")
        .replace("%{first}", &first.format(locale))
        .replace("%{last}", &last.format(locale))
        .replace("%{max}", &locale.number(max));
    Some(view! {
        <ChartFrame
            id="chart"
            class="per-day"
            heading=locale.t("action.chart_heading")
            description
            first
            last
            count_label=locale.t("action.chart_count")
            rows=per_day.into_iter().rev().filter(|(_, n)| *n > 0).collect()
        >
            {bars}
        </ChartFrame>
    })
}

/// What every chart of the page has around its drawing: a heading, the
/// SVG (an image described in words), the first and last day under it, and
/// the same figures as a table for screen readers and anyone without images.
#[component]
fn ChartFrame(
    id: &'static str,
    class: &'static str,
    heading: String,
    description: String,
    first: PartialDate,
    last: PartialDate,
    count_label: String,
    /// (day, figure) as the table lists them.
    rows: Vec<(PartialDate, i64)>,
    children: Children,
) -> impl IntoView {
    let locale = use_locale();
    let heading_id = format!("{id}-heading");
    let description_id = format!("{id}-description");
    let labelled_by = format!("{heading_id} {description_id}");
    view! {
        <section class="chart" aria-labelledby=heading_id.clone()>
            <h2 id=heading_id.clone()>{heading}</h2>
            <svg
                viewBox=format!("0 0 {CHART_WIDTH} {CHART_HEIGHT}")
                preserveAspectRatio="none"
                role="img"
                aria-labelledby=labelled_by
                class=class
            >
                <desc id=description_id>{description}</desc>
                {children()}
            </svg>
            <p class="chart-axis">
                <DateText date=first />
                <DateText date=last />
            </p>
            <details>
                <summary>{locale.t("action.chart_table")}</summary>
                <table class=format!("{class}-table")>
                    <thead>
                        <tr>
                            <th scope="col">{locale.t("action.chart_day")}</th>
                            <th scope="col">{count_label}</th>
                        </tr>
                    </thead>
                    <tbody>
                        {rows
                            .into_iter()
                            .map(|(day, n)| {
                                view! {
                                    <tr>
                                        <td>
                                            <DateText date=day />
                                        </td>
                                        <td>{locale.number(n)}</td>
                                    </tr>
                                }
                            })
                            .collect_view()}
                    </tbody>
                </table>
            </details>
        </section>
    }
}
