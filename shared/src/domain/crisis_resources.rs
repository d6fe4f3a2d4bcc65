//! Crisis resources by locale: a data table, easy to extend. Code, never a
//! model, appends these to a crisis reply, in the locale's language. Add a
//! locale by adding a row; the tests below check every row is complete.
//!
//! Every number is given with where it was checked. They need a human check
//! before launch, and again whenever a service changes (see the README).

use super::safety::CrisisCategory;

/// The languages the resources (and the fixed crisis reply) are written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Language {
    En,
    Es,
    Fr,
    De,
    Pt,
}

/// What a line of help is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineKind {
    /// A crisis or suicide-prevention line: every crisis reply has one.
    Crisis,
    /// Abuse or violence at home: added when the category is danger now.
    Abuse,
    /// Emergency services, for immediate danger: every crisis reply ends
    /// with it.
    Emergency,
}

/// One line of help.
#[derive(Debug, Clone, Copy)]
pub struct Line {
    pub kind: LineKind,
    /// The service's name.
    pub name: &'static str,
    /// The number to call, as dialled.
    pub phone: Option<&'static str>,
    pub url: Option<&'static str>,
    /// The line as a person reads it, in the locale's language.
    pub text: &'static str,
}

pub struct Resources {
    pub locale: &'static str,
    /// The country, in the locale's language.
    pub country: &'static str,
    pub language: Language,
    pub lines: &'static [Line],
}

const fn crisis(
    name: &'static str,
    phone: &'static str,
    url: Option<&'static str>,
    text: &'static str,
) -> Line {
    Line {
        kind: LineKind::Crisis,
        name,
        phone: Some(phone),
        url,
        text,
    }
}

const fn abuse(
    name: &'static str,
    phone: &'static str,
    url: Option<&'static str>,
    text: &'static str,
) -> Line {
    Line {
        kind: LineKind::Abuse,
        name,
        phone: Some(phone),
        url,
        text,
    }
}

const fn emergency(name: &'static str, phone: &'static str, text: &'static str) -> Line {
    Line {
        kind: LineKind::Emergency,
        name,
        phone: Some(phone),
        url: None,
        text,
    }
}

pub const TABLE: &[Resources] = &[
    Resources {
        locale: "en-US",
        country: "United States",
        language: Language::En,
        lines: &[
            // 988lifeline.org: call or text 988, chat on the site.
            crisis(
                "988 Suicide & Crisis Lifeline",
                "988",
                Some("https://988lifeline.org"),
                "988 Suicide & Crisis Lifeline: call or text 988 (24/7), or chat at 988lifeline.org",
            ),
            // thehotline.org: 1-800-799-7233, text START to 88788.
            abuse(
                "National Domestic Violence Hotline",
                "1-800-799-7233",
                Some("https://www.thehotline.org"),
                "National Domestic Violence Hotline: call 1-800-799-7233 or text START to 88788",
            ),
            emergency(
                "Emergency services",
                "911",
                "If you are in immediate danger, call 911.",
            ),
        ],
    },
    Resources {
        locale: "en-GB",
        country: "United Kingdom",
        language: Language::En,
        lines: &[
            // samaritans.org: 116 123, free, 24/7; giveusashout.org: text SHOUT to 85258.
            crisis(
                "Samaritans",
                "116 123",
                Some("https://www.samaritans.org"),
                "Samaritans: call 116 123 (free, 24/7), or text SHOUT to 85258",
            ),
            // nationaldahelpline.org.uk (Refuge): 0808 2000 247.
            abuse(
                "National Domestic Abuse Helpline",
                "0808 2000 247",
                Some("https://www.nationaldahelpline.org.uk"),
                "National Domestic Abuse Helpline: call 0808 2000 247 (free, 24/7)",
            ),
            emergency(
                "Emergency services",
                "999",
                "If you are in immediate danger, call 999.",
            ),
        ],
    },
    Resources {
        locale: "en-IE",
        country: "Ireland",
        language: Language::En,
        lines: &[
            // samaritans.org/ireland: 116 123.
            crisis(
                "Samaritans",
                "116 123",
                Some("https://www.samaritans.org/ireland"),
                "Samaritans: call 116 123 (free, 24/7)",
            ),
            emergency(
                "Emergency services",
                "112",
                "If you are in immediate danger, call 112 or 999.",
            ),
        ],
    },
    Resources {
        locale: "en-CA",
        country: "Canada",
        language: Language::En,
        lines: &[
            // 988.ca: call or text 9-8-8.
            crisis(
                "9-8-8 Suicide Crisis Helpline",
                "988",
                Some("https://988.ca"),
                "9-8-8 Suicide Crisis Helpline: call or text 988 (24/7)",
            ),
            emergency(
                "Emergency services",
                "911",
                "If you are in immediate danger, call 911.",
            ),
        ],
    },
    Resources {
        locale: "en-AU",
        country: "Australia",
        language: Language::En,
        lines: &[
            // lifeline.org.au: 13 11 14.
            crisis(
                "Lifeline",
                "13 11 14",
                Some("https://www.lifeline.org.au"),
                "Lifeline: call 13 11 14 (24/7)",
            ),
            // 1800respect.org.au: 1800 737 732.
            abuse(
                "1800RESPECT",
                "1800 737 732",
                Some("https://www.1800respect.org.au"),
                "1800RESPECT: call 1800 737 732",
            ),
            emergency(
                "Emergency services",
                "000",
                "If you are in immediate danger, call 000.",
            ),
        ],
    },
    Resources {
        locale: "en-NZ",
        country: "New Zealand",
        language: Language::En,
        lines: &[
            // 1737.org.nz: call or text 1737.
            crisis(
                "Need to talk? 1737",
                "1737",
                Some("https://1737.org.nz"),
                "Need to talk? Call or text 1737 (free, 24/7)",
            ),
            emergency(
                "Emergency services",
                "111",
                "If you are in immediate danger, call 111.",
            ),
        ],
    },
    Resources {
        locale: "es-ES",
        country: "España",
        language: Language::Es,
        lines: &[
            // sanidad.gob.es/linea024: Línea 024, atención a la conducta suicida, gratuita, 24 h.
            crisis(
                "Línea 024",
                "024",
                Some("https://www.sanidad.gob.es/linea024/home.htm"),
                "Línea 024 de atención a la conducta suicida: llama al 024 (gratuita, las 24 horas)",
            ),
            // violenciagenero.igualdad.gob.es: 016, gratuito, 24 h, no deja rastro en la factura.
            abuse(
                "016",
                "016",
                Some("https://violenciagenero.igualdad.gob.es"),
                "016, atención a víctimas de violencia de género: llama al 016 (gratuito, las 24 horas, no aparece en la factura)",
            ),
            emergency(
                "Emergencias",
                "112",
                "Si estás en peligro inmediato, llama al 112.",
            ),
        ],
    },
    Resources {
        locale: "es-MX",
        country: "México",
        language: Language::Es,
        lines: &[
            // gob.mx/salud/conadic: Línea de la Vida, 800 911 2000, gratuita, 24 h.
            crisis(
                "Línea de la Vida",
                "800 911 2000",
                Some("https://www.gob.mx/salud/conadic"),
                "Línea de la Vida: llama al 800 911 2000 (gratuita, las 24 horas)",
            ),
            emergency(
                "Emergencias",
                "911",
                "Si estás en peligro inmediato, llama al 911.",
            ),
        ],
    },
    Resources {
        locale: "fr-FR",
        country: "France",
        language: Language::Fr,
        lines: &[
            // 3114.fr: numéro national de prévention du suicide, gratuit, 24 h/24.
            crisis(
                "3114",
                "3114",
                Some("https://3114.fr"),
                "3114, numéro national de prévention du suicide : appelle le 3114 (gratuit, 24 h/24)",
            ),
            // arretonslesviolences.gouv.fr: 3919 Violences Femmes Info, gratuit, 24 h/24.
            abuse(
                "3919 Violences Femmes Info",
                "3919",
                Some("https://arretonslesviolences.gouv.fr"),
                "3919 Violences Femmes Info : appelle le 3919 (gratuit, 24 h/24)",
            ),
            emergency(
                "Urgences",
                "112",
                "En cas de danger immédiat, appelle le 15 (SAMU) ou le 112.",
            ),
        ],
    },
    Resources {
        locale: "de-DE",
        country: "Deutschland",
        language: Language::De,
        lines: &[
            // telefonseelsorge.de: 0800 111 0 111 und 0800 111 0 222, kostenlos, rund um die Uhr.
            crisis(
                "TelefonSeelsorge",
                "0800 111 0 111",
                Some("https://www.telefonseelsorge.de"),
                "TelefonSeelsorge: ruf kostenlos an unter 0800 111 0 111 oder 0800 111 0 222 (rund um die Uhr)",
            ),
            // hilfetelefon.de: Gewalt gegen Frauen, 116 016, kostenlos, rund um die Uhr.
            abuse(
                "Hilfetelefon Gewalt gegen Frauen",
                "116 016",
                Some("https://www.hilfetelefon.de"),
                "Hilfetelefon Gewalt gegen Frauen: ruf an unter 116 016 (kostenlos, rund um die Uhr)",
            ),
            emergency(
                "Notruf",
                "112",
                "Wenn du in akuter Gefahr bist, ruf die 112 an.",
            ),
        ],
    },
    Resources {
        locale: "pt-BR",
        country: "Brasil",
        language: Language::Pt,
        lines: &[
            // cvv.org.br: CVV, ligue 188, gratuito, 24 horas; chat no site.
            crisis(
                "CVV – Centro de Valorização da Vida",
                "188",
                Some("https://www.cvv.org.br"),
                "CVV – Centro de Valorização da Vida: ligue 188 (gratuito, 24 horas) ou converse em cvv.org.br",
            ),
            // gov.br/mulheres: Central de Atendimento à Mulher, Ligue 180, gratuito, 24 horas.
            abuse(
                "Central de Atendimento à Mulher",
                "180",
                Some("https://www.gov.br/mulheres"),
                "Central de Atendimento à Mulher: ligue 180 (gratuito, 24 horas)",
            ),
            emergency(
                "Emergência",
                "192",
                "Se você estiver em perigo imediato, ligue 192 (SAMU) ou 190 (Polícia).",
            ),
        ],
    },
];

/// The resources for `locale`, matched case-insensitively ("-" or "_"),
/// else a row in its language ("es" or "es-AR": the `fallback` row when it
/// speaks that language, else the language's first row), else those for
/// `fallback`, else the first row. Settings accept only the table's
/// locales; the language step is for a tag saved before that, or sent by
/// a client as it is, and the rendered heading names the row's country, so
/// the person sees whose numbers they are.
pub fn for_locale(locale: &str, fallback: &str) -> &'static Resources {
    let find = |l: &str| {
        let l = l.trim().replace('_', "-");
        TABLE.iter().find(|r| r.locale.eq_ignore_ascii_case(&l))
    };
    let same_language = || {
        let language = language_of(locale)?;
        // The default row when it speaks the person's language ("es-AR"
        // with HEARTH_CRISIS_LOCALE=es-MX), else the first row that does.
        find(fallback)
            .filter(|r| r.language == language)
            .or_else(|| TABLE.iter().find(|r| r.language == language))
    };
    find(locale)
        .or_else(same_language)
        .or_else(|| find(fallback))
        .unwrap_or(&TABLE[0])
}

/// The language of a locale tag ("es", "es-AR", "pt_PT"), when the table
/// has rows in it.
fn language_of(locale: &str) -> Option<Language> {
    let primary = locale.trim().split(['-', '_']).next()?;
    let language = match primary.to_ascii_lowercase().as_str() {
        "en" => Language::En,
        "es" => Language::Es,
        "fr" => Language::Fr,
        "de" => Language::De,
        "pt" => Language::Pt,
        _ => return None,
    };
    Some(language)
}

/// Whether `locale` has its own row.
pub fn is_known(locale: &str) -> bool {
    TABLE.iter().any(|r| r.locale.eq_ignore_ascii_case(locale))
}

impl Resources {
    /// The lines a crisis reply gives for `category`, in order: the crisis
    /// line, the abuse line when the danger is now, emergency services.
    pub fn lines_for(
        &self,
        category: Option<CrisisCategory>,
    ) -> impl Iterator<Item = &'static Line> {
        let abuse = category == Some(CrisisCategory::DangerNow);
        self.lines
            .iter()
            .filter(move |l| l.kind != LineKind::Abuse || abuse)
    }
}

/// "If you need support right now (country):", in the locale's language.
fn heading(resources: &Resources) -> String {
    let country = resources.country;
    match resources.language {
        Language::En => format!("If you need support right now ({country}):"),
        Language::Es => format!("Si necesitas apoyo ahora mismo ({country}):"),
        Language::Fr => format!("Si tu as besoin d'aide maintenant ({country}) :"),
        Language::De => format!("Wenn du gerade Unterstützung brauchst ({country}):"),
        Language::Pt => format!("Se você precisa de apoio agora ({country}):"),
    }
}

/// The block of text appended to a crisis reply.
pub fn render(resources: &Resources, category: Option<CrisisCategory>) -> String {
    let mut out = heading(resources);
    for line in resources.lines_for(category) {
        out.push_str("\n- ");
        out.push_str(line.text);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_row_is_complete_and_unique() {
        let mut seen = std::collections::HashSet::new();
        for r in TABLE {
            assert!(
                seen.insert(r.locale.to_ascii_lowercase()),
                "duplicate {}",
                r.locale
            );
            let kinds: Vec<LineKind> = r.lines.iter().map(|l| l.kind).collect();
            assert_eq!(
                kinds.first(),
                Some(&LineKind::Crisis),
                "{}: a crisis line first",
                r.locale
            );
            assert_eq!(
                kinds.last(),
                Some(&LineKind::Emergency),
                "{}: emergency services last",
                r.locale
            );
            for l in r.lines {
                assert!(!l.name.is_empty(), "{}: a line without a name", r.locale);
                assert!(
                    l.phone.is_some() || l.url.is_some(),
                    "{}: {} has no number or site",
                    r.locale,
                    l.name
                );
                if let Some(phone) = l.phone {
                    assert!(
                        l.text.contains(phone),
                        "{}: {:?} does not give its number {phone}",
                        r.locale,
                        l.text
                    );
                }
            }
        }
    }

    /// Each row's wording is in its locale's language: the heading and
    /// the emergency line use that language's words.
    #[test]
    fn every_row_speaks_its_locales_language() {
        for r in TABLE {
            let expected = match &r.locale[..2] {
                "en" => Language::En,
                "es" => Language::Es,
                "fr" => Language::Fr,
                "de" => Language::De,
                "pt" => Language::Pt,
                other => panic!("a locale in no known language: {other}"),
            };
            assert_eq!(r.language, expected, "{}", r.locale);
            let emergency = r.lines.last().expect("lines").text;
            let word = match r.language {
                Language::En => "call",
                Language::Es => "llama",
                Language::Fr => "appelle",
                Language::De => "ruf",
                Language::Pt => "ligue",
            };
            assert!(emergency.contains(word), "{}: {emergency:?}", r.locale);
        }
    }

    /// A locale with no row of its own gets a row in its language (the
    /// default's when that one speaks it), and only then the default.
    #[test]
    fn a_locale_without_a_row_falls_back_to_its_language_then_the_default() {
        assert_eq!(for_locale("es", "en-US").locale, "es-ES");
        assert_eq!(for_locale("es-AR", "es-MX").locale, "es-MX");
        assert_eq!(for_locale("es_AR", "en-GB").locale, "es-ES");
        assert_eq!(for_locale("fr-CA", "en-US").locale, "fr-FR");
        assert_eq!(for_locale("de-AT", "en-US").locale, "de-DE");
        assert_eq!(for_locale("pt-PT", "en-US").locale, "pt-BR");
        assert_eq!(for_locale("en-ZA", "en-GB").locale, "en-GB");
        assert_eq!(for_locale("it-IT", "en-GB").locale, "en-GB");
        assert_eq!(for_locale("", "fr-FR").locale, "fr-FR");
        assert_eq!(for_locale("es_mx", "en-US").locale, "es-MX");
    }

    #[test]
    fn us_and_uk_name_their_numbers() {
        let us = render(for_locale("en-US", "en-US"), None);
        assert!(us.contains("988") && us.contains("911"));
        assert!(
            !us.contains("1-800-799-7233"),
            "abuse line only for danger now"
        );
        let uk = render(
            for_locale("en-gb", "en-US"),
            Some(CrisisCategory::DangerNow),
        );
        assert!(uk.contains("116 123") && uk.contains("999") && uk.contains("0808 2000 247"));
        assert_eq!(for_locale("xx-XX", "en-GB").locale, "en-GB");
    }

    #[test]
    fn the_new_locales_give_their_own_numbers_in_their_language() {
        let cases = [
            ("es-ES", "024", "Si necesitas apoyo"),
            ("es-MX", "800 911 2000", "Si necesitas apoyo"),
            ("fr-FR", "3114", "Si tu as besoin d'aide"),
            ("de-DE", "0800 111 0 111", "Wenn du gerade Unterstützung"),
            ("pt-BR", "188", "Se você precisa de apoio"),
        ];
        for (locale, number, heading) in cases {
            let text = render(for_locale(locale, "en-US"), Some(CrisisCategory::Suicidal));
            assert!(
                text.starts_with(heading) && text.contains(number),
                "{locale}: {text}"
            );
        }
    }
}
