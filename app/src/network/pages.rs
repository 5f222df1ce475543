//! `/staff/municipalities`: an administrator sets the languages each
//! municipality of the network writes in.
use super::languages::{
    languages_form, staff_municipalities, MunicipalitiesPage, MunicipalityLanguages,
    SetMunicipalityLanguages,
};
use crate::backoffice::forms::FormFlash;
use crate::backoffice::pages::forms::{gate, gated, FlashNotice, LangField, SelectField, StaffNav};
use crate::domain::Permission;
use crate::i18n::use_locale;
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_meta::{Meta, Title};

#[component]
pub fn StaffMunicipalitiesPage() -> impl IntoView {
    crate::backoffice::pages::private_page();
    let locale = use_locale();
    let title = locale.t("staff.municipalities_title");
    let data = Resource::new(
        || (),
        move |_| {
            gate(Permission::ManageMunicipalities, async move {
                staff_municipalities().await.map(Some)
            })
        },
    );
    view! {
        <Title text=title.clone() />
        <Meta name="robots" content="noindex" />
        {gated(
            data,
            move |page: MunicipalitiesPage| {
                view! {
                    <StaffNav user=page.user.clone() />
                    <section class="staff-page">
                        <h1>{title.clone()}</h1>
                        <FlashNotice flash=page.flash.clone() />
                        <p>{locale.t("staff.municipalities_lead")}</p>
                        {page
                            .municipalities
                            .into_iter()
                            .map(|m| {
                                view! {
                                    <MunicipalityLanguagesForm
                                        municipality=m
                                        flash=page.flash.clone()
                                    />
                                }
                            })
                            .collect_view()}
                    </section>
                }
            },
        )}
    }
}

/// One municipality's languages: for each, required, optional or not used.
#[component]
fn MunicipalityLanguagesForm(
    municipality: MunicipalityLanguages,
    flash: Option<FormFlash>,
) -> impl IntoView {
    let locale = use_locale();
    let slug = municipality.municipality.slug.as_str().to_owned();
    let form = languages_form(&slug);
    let choices = vec![
        ("required".to_owned(), locale.t("staff.language_required")),
        ("optional".to_owned(), locale.t("staff.language_optional")),
        (String::new(), locale.t("staff.language_unused")),
    ];
    let selects = municipality
        .languages
        .into_iter()
        .map(|(language, use_of)| {
            let value = match use_of {
                Some(true) => "required",
                Some(false) => "optional",
                None => "",
            };
            view! {
                <SelectField
                    form=form.clone()
                    name=language.code()
                    label=locale.language_name(language)
                    value=value.to_owned()
                    flash=flash.clone()
                    options=choices.clone()
                />
            }
        })
        .collect_view();
    view! {
        <form
            method="post"
            action={<SetMunicipalityLanguages as ServerFn>::PATH}
            class="staff-form"
            id=form.clone()
        >
            <fieldset>
                <legend lang=municipality
                    .municipality
                    .name
                    .lang_attr(locale)>{municipality.municipality.name.text.clone()}</legend>
                <LangField />
                <input type="hidden" name="municipality" value=slug.clone() />
                {selects}
                <button type="submit">{locale.t("staff.save")}</button>
            </fieldset>
        </form>
    }
}
