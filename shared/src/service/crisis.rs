//! What every use case does with a flagged input, written once: the
//! resources for the person's locale (their `locale` setting, then
//! `HEARTH_CRISIS_LOCALE`), the `CrisisFlagged` event with its
//! explanation, the de-identified referral counter, and whether what a
//! check-in or a journal prompt reads shows crisis. Chat, the journal,
//! import and the check-in use it.
//!
//! Nothing here logs a user id beside a category or a layer: a log line
//! carries the user id (the request span holds it), so a category or layer
//! next to it would tell anyone who reads logs who is in crisis and why.

use crate::domain::crisis_notice::CrisisNotice;
use crate::domain::events::DomainEvent;
use crate::domain::ids::UserId;
use crate::domain::page::PageRequest;
use crate::domain::safety::flag::{FlagSource, Flagged};
use crate::domain::safety::{self, CrisisCategory};
use crate::domain::safety_report::Referral;
use crate::ports::{ConversationStore, EventBus, SafetyReports, SettingsStore, StoreError};
use chrono::{DateTime, Utc};
use std::sync::Arc;

#[derive(Clone)]
pub struct CrisisCare {
    pub settings: Arc<dyn SettingsStore>,
    pub events: Arc<dyn EventBus>,
    /// The safety report's counters.
    pub reports: Arc<dyn SafetyReports>,
    /// `HEARTH_CRISIS_LOCALE`.
    pub default_locale: String,
}

impl CrisisCare {
    /// The person's locale, else the default. A failed read falls back to
    /// the default: a crisis answer never fails for it.
    pub async fn locale(&self, user: &UserId) -> String {
        match self.settings.settings(user).await {
            Ok(Some(s)) => s.locale,
            Ok(None) => self.default_locale.clone(),
            Err(e) => {
                tracing::warn!(error = %e, "could not read settings for the locale; using the default resources");
                self.default_locale.clone()
            }
        }
    }

    /// The notice for `category` in the person's locale.
    pub async fn notice(&self, user: &UserId, category: CrisisCategory) -> CrisisNotice {
        CrisisNotice::new(category, &self.locale(user).await, &self.default_locale)
    }

    /// Publish `CrisisFlagged` (no text) for a flag on `user`'s input, and
    /// count the referral the person is about to be shown (by day,
    /// category, the locale of their resources and the layer; no user id).
    /// Both come after the input and its flag are stored; a failure of
    /// either is logged, with no user id, and never fails the answer.
    pub async fn publish(
        &self,
        user: &UserId,
        at: DateTime<Utc>,
        flagged: &Flagged,
        source: FlagSource,
    ) {
        let event = [DomainEvent::crisis_flagged(user, at, flagged, source)];
        let count = async {
            let notice = self.notice(user, flagged.category).await;
            self.reports
                .count_referral(&Referral::new(at, flagged, notice.locale()))
                .await
        };
        let (published, counted) = tokio::join!(self.events.publish(&event), count);
        if let Err(e) = published {
            tracing::error!(parent: None, error = %e, "could not publish CrisisFlagged");
        }
        if let Err(e) = counted {
            tracing::error!(parent: None, error = %e, "could not count a crisis referral");
        }
    }
}

/// Flags looked at for a window: the newest few.
const FLAGS_READ: u32 = 5;

/// Whether what a check-in or a journal prompt reads over `(since, until]`
/// shows crisis, and which: a crisis flag stored in the window, else the
/// first of the person's `texts` (what they wrote that the model would be
/// shown) that the screen flags now. Either way no model is asked.
pub async fn in_window<'a>(
    conversations: &dyn ConversationStore,
    user: &UserId,
    since: DateTime<Utc>,
    until: DateTime<Utc>,
    texts: impl IntoIterator<Item = &'a str>,
) -> Result<Option<CrisisCategory>, StoreError> {
    let flags = conversations
        .list_crisis_flags(user, &PageRequest::first(FLAGS_READ))
        .await?;
    let flagged = flags
        .items
        .iter()
        .find(|f| f.at > since && f.at <= until)
        .map(|f| f.category);
    Ok(flagged.or_else(|| {
        texts
            .into_iter()
            .find_map(|t| safety::screen(t).map(|s| s.category))
    }))
}
