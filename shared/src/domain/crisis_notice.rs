//! What a flagged answer gives the person, beside its text: the category
//! and the crisis resources for their locale. The chat response and a
//! journal entry's 201 both carry it as `crisis` (or `null`), so a client
//! can show the resources apart from the text; a reply's content still ends
//! with them, rendered by code (`render`), never by a model.

use super::crisis_resources::{self, Resources};
use super::safety::CrisisCategory;

#[derive(Clone, Copy)]
pub struct CrisisNotice {
    pub category: CrisisCategory,
    /// The row for the person's locale, or for the default one when theirs
    /// has none.
    pub resources: &'static Resources,
}

impl CrisisNotice {
    /// The notice for `category`, with the resources for `locale`, else
    /// for `fallback` (`HEARTH_CRISIS_LOCALE`).
    pub fn new(category: CrisisCategory, locale: &str, fallback: &str) -> Self {
        Self {
            category,
            resources: crisis_resources::for_locale(locale, fallback),
        }
    }

    /// The locale whose resources these are.
    pub fn locale(&self) -> &'static str {
        self.resources.locale
    }

    /// The block appended to a reply.
    pub fn render(&self) -> String {
        crisis_resources::render(self.resources, Some(self.category))
    }

    /// `text`, then the resources.
    pub fn append_to(&self, text: &str) -> String {
        format!("{}\n\n{}", text.trim(), self.render())
    }
}

impl std::fmt::Debug for CrisisNotice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CrisisNotice")
            .field("category", &self.category)
            .field("locale", &self.locale())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_persons_locale_chooses_the_resources_then_the_default() {
        let uk = CrisisNotice::new(CrisisCategory::Suicidal, "en-GB", "en-US");
        assert_eq!(uk.locale(), "en-GB");
        assert!(uk.render().contains("116 123"));
        let unknown = CrisisNotice::new(CrisisCategory::Suicidal, "xx-XX", "en-GB");
        assert_eq!(unknown.locale(), "en-GB");
        assert_eq!(
            uk.append_to("I'm here. "),
            format!("I'm here.\n\n{}", uk.render())
        );
    }
}
