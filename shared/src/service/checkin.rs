//! The hourly check-in pass. The same code runs in `functions/daily-checkin`
//! (EventBridge schedule), in `hearth serve` (every hour) and in
//! `hearth checkins run --at`. The Lambda fans the pass out: it enqueues a
//! `checkin` job per person due, and the job workers run the per-person
//! step below, so the number of people due in one hour is bounded by the
//! workers' concurrency, not by one invocation's timeout. `serve` and the
//! CLI run the step inline. For each person who talked in the 24 hours
//! before the pass (found through the activity index, never a scan), whose
//! local hour is their check-in hour, with check-ins on and none yet on
//! this local date, the step:
//! 1. writes one line with the check-in role from the last 24 hours and
//!    what Hearth remembers (or, with no model call, the gentle variant
//!    with the crisis resources for their locale when those 24 hours show
//!    crisis: a flag, or a line of theirs the screen flags; or when
//!    extraction left its sensitive marker, "a hard day on DATE", for
//!    their local today or yesterday: the one reader of that marker);
//! 2. holds it under 100 characters: one stricter retry, then a safe
//!    fallback line, never a sentence cut off;
//! 3. stores it once per local date (a second pass finds it);
//! 4. pushes it when the person has a push token, forgetting a token FCM
//!    calls `UNREGISTERED`;
//! 5. emits `CheckInReady`.
//!
//! A pass (or a job) run again as of the same time writes only the missing
//! check-ins, and pushes any of today's that were stored but not pushed.
//! The reports count what such a retry can mend: failed and unpushed
//! check-ins ([`PassReport`]); people the fan-out could not look at,
//! enqueue, or reach before its deadline ([`FanOutReport`]).

use super::crisis;
use super::jobs::{JobError, JobHandler};
use super::models::ModelRoles;
use super::recent::conversation_between;
use super::retrieval::Retriever;
use crate::domain::checkin::{self, CheckIn, FALLBACK, LOOKBACK, Settings};
use crate::domain::crisis_resources;
use crate::domain::crisis_resources::Language;
use crate::domain::events::DomainEvent;
use crate::domain::ids::UserId;
use crate::domain::jobs::Job;
use crate::domain::memory::{self, Category, MemoryFilter};
use crate::domain::message::Role;
use crate::domain::notices::{NoticePolicy, NoticeState};
use crate::domain::page::PageRequest;
use crate::domain::prompts;
use crate::domain::route::{ModelRole, Route};
use crate::domain::safety::CrisisCategory;
use crate::ports::{
    CheckinStore, ConversationStore, EventBus, JobQueue, MemoryStore, Push, PushError,
    PushNotification, PushOutcome, SettingsStore, StoreError,
};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use futures::StreamExt;
use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;

/// Sessions looked at for the last 24 hours, and messages read from each.
const RECENT_SESSIONS: u32 = 5;
const MESSAGES_PER_SESSION: usize = 30;
const MODEL_DEADLINE: Duration = Duration::from_secs(30);
/// People handled at once in one pass.
const PEOPLE_AT_ONCE: usize = 8;
/// People whose settings the fan-out reads at once.
const FAN_OUT_AT_ONCE: usize = 16;
/// The fan-out begins nobody closer than this to its deadline, leaving
/// time for the rest of the invocation (the idle sweep).
const FAN_OUT_MARGIN: Duration = Duration::from_secs(20);
/// Sensitive markers read, newest first, to find a recent hard day: one
/// per day at most, so a week's worth.
const MARKERS_READ: u32 = 7;

/// What one pass did, for logs and the CLI.
#[derive(Debug, Default, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PassReport {
    /// People active in the 24 hours before the pass.
    pub considered: u32,
    pub written: u32,
    pub pushed: u32,
    /// Already had this local date's check-in.
    pub already: u32,
    /// People whose check-in could not be written (a store error).
    pub failed: u32,
    /// Check-ins stored but not pushed because FCM stayed unavailable
    /// through its retries (429, 5xx): a pass run again pushes them.
    pub push_failed: u32,
}

impl PassReport {
    /// Whether running the pass again as of the same time could do more.
    pub fn retry_would_help(&self) -> bool {
        self.failed > 0 || self.push_failed > 0
    }
}

/// What a fan-out did: one `checkin` job enqueued per person due.
#[derive(Debug, Default, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FanOutReport {
    /// People active in the 24 hours before the pass.
    pub considered: u32,
    /// Jobs enqueued, one per person whose check-in hour it is.
    pub enqueued: u32,
    /// People whose settings could not be read or whose job could not be
    /// enqueued.
    pub failed: u32,
    /// People not reached before the deadline.
    pub not_reached: u32,
}

impl FanOutReport {
    /// Whether running the fan-out again as of the same time could do more
    /// (a second job for someone already done finds their check-in).
    pub fn retry_would_help(&self) -> bool {
        self.failed > 0 || self.not_reached > 0
    }
}

/// What a push attempt came to.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Pushed {
    Yes,
    /// No token, no push configured, the token was unregistered, or FCM
    /// refused it for good: trying again would not help.
    No,
    /// FCM was unavailable: worth trying again.
    Later,
}

enum FanOut {
    NotDue,
    Enqueued,
    NotReached,
}

enum Outcome {
    NotDue,
    Already { pushed: Pushed },
    Written { pushed: Pushed },
}

pub struct CheckinPass {
    pub conversations: Arc<dyn ConversationStore>,
    pub settings: Arc<dyn SettingsStore>,
    pub checkins: Arc<dyn CheckinStore>,
    /// Read for one thing only: the sensitive hard-day marker.
    pub memories: Arc<dyn MemoryStore>,
    pub events: Arc<dyn EventBus>,
    pub push: Option<Arc<dyn Push>>,
    pub models: ModelRoles,
    pub retriever: Arc<Retriever>,
    pub default_locale: String,
    /// The AI disclosure a check-in carries, and whether an unknown age
    /// gets the minors' daytime hours.
    pub notices: NoticePolicy,
}

impl CheckinPass {
    /// One pass as if it were `at`, every person's check-in written here
    /// (`hearth serve`, `hearth checkins run`).
    pub async fn run(&self, at: DateTime<Utc>) -> Result<PassReport, StoreError> {
        let mut report = PassReport::default();
        let people = self.active_people(at).await?;
        // People are independent: several at once, each mostly waiting on
        // its model call.
        let outcomes: Vec<(UserId, Result<Outcome, StoreError>)> = futures::stream::iter(people)
            .map(|user| async move {
                let outcome = self.one(&user, at).await;
                (user, outcome)
            })
            .buffer_unordered(PEOPLE_AT_ONCE)
            .collect()
            .await;
        for (user, outcome) in outcomes {
            report.considered += 1;
            let pushed = match outcome {
                Ok(Outcome::NotDue) => None,
                Ok(Outcome::Already { pushed }) => {
                    report.already += 1;
                    Some(pushed)
                }
                Ok(Outcome::Written { pushed }) => {
                    report.written += 1;
                    Some(pushed)
                }
                Err(e) => {
                    report.failed += 1;
                    tracing::error!(user = %user, error = %e, "check-in failed for this person; the pass goes on");
                    None
                }
            };
            report.pushed += (pushed == Some(Pushed::Yes)) as u32;
            report.push_failed += (pushed == Some(Pushed::Later)) as u32;
        }
        tracing::info!(?report, %at, "check-in pass done");
        Ok(report)
    }

    /// One pass as if it were `at`, fanned out: a `checkin` job on `queue`
    /// for each person whose check-in hour it is, for the job workers to
    /// write (the scheduled Lambda). It begins nobody within a margin of
    /// `deadline`, so that it ends with its report rather than being cut
    /// off; those not reached are counted.
    pub async fn fan_out(
        &self,
        queue: &dyn JobQueue,
        at: DateTime<Utc>,
        deadline: Option<Instant>,
    ) -> Result<FanOutReport, StoreError> {
        let people = self.active_people(at).await?;
        let mut report = FanOutReport {
            considered: people.len() as u32,
            ..FanOutReport::default()
        };
        let outcomes: Vec<(UserId, Result<FanOut, StoreError>)> = futures::stream::iter(people)
            .map(|user| async move {
                if deadline.is_some_and(|d| Instant::now() + FAN_OUT_MARGIN > d) {
                    return (user, Ok(FanOut::NotReached));
                }
                let outcome = async {
                    let settings = self
                        .settings
                        .settings(&user)
                        .await?
                        .unwrap_or_else(|| Settings::defaults(&self.default_locale));
                    if checkin::due_for(&settings, at, self.minor(&settings)).is_none() {
                        return Ok(FanOut::NotDue);
                    }
                    queue
                        .enqueue(&Job::Checkin {
                            user: user.clone(),
                            at,
                        })
                        .await
                        .map(|()| FanOut::Enqueued)
                }
                .await;
                (user, outcome)
            })
            .buffer_unordered(FAN_OUT_AT_ONCE)
            .collect()
            .await;
        for (user, outcome) in outcomes {
            match outcome {
                Ok(FanOut::NotDue) => {}
                Ok(FanOut::Enqueued) => report.enqueued += 1,
                Ok(FanOut::NotReached) => report.not_reached += 1,
                Err(e) => {
                    report.failed += 1;
                    tracing::error!(user = %user, error = %e, "could not look at or enqueue this person's check-in");
                }
            }
        }
        tracing::info!(?report, %at, "check-in pass fanned out");
        Ok(report)
    }

    /// The people who talked in the 24 hours before `at`, from the
    /// activity index (the UTC days those hours touch).
    async fn active_people(&self, at: DateTime<Utc>) -> Result<BTreeSet<UserId>, StoreError> {
        let mut people = BTreeSet::new();
        for day in [(at - LOOKBACK).date_naive(), at.date_naive()] {
            let mut page = PageRequest::first(100);
            loop {
                let users = self.conversations.active_users(day, &page).await?;
                people.extend(users.items);
                match users.next_cursor {
                    Some(c) => {
                        page = PageRequest {
                            limit: 100,
                            cursor: Some(c),
                        }
                    }
                    None => break,
                }
            }
        }
        Ok(people)
    }

    async fn one(&self, user: &UserId, at: DateTime<Utc>) -> Result<Outcome, StoreError> {
        let settings = self
            .settings
            .settings(user)
            .await?
            .unwrap_or_else(|| Settings::defaults(&self.default_locale));
        let Some(date) = checkin::due_for(&settings, at, self.minor(&settings)) else {
            return Ok(Outcome::NotDue);
        };
        let since = at - LOOKBACK;
        let recent = conversation_between(
            &*self.conversations,
            user,
            since,
            at,
            RECENT_SESSIONS,
            MESSAGES_PER_SESSION,
        )
        .await?;
        if recent.is_empty() {
            return Ok(Outcome::NotDue);
        }
        let latest = self
            .checkins
            .list_checkins(user, &PageRequest::first(1))
            .await?;
        if let Some(today) = latest.items.into_iter().find(|c| c.local_date == date) {
            return Ok(Outcome::Already {
                pushed: self.push_again(user, &settings, &today).await,
            });
        }
        // What the check-in reads is screened: a flag in the window, or a
        // line of theirs the screen flags now (imported history), means the
        // gentle line with the resources, and no model call.
        let theirs = recent
            .iter()
            .filter(|(r, _)| *r == Role::User)
            .map(|(_, t)| t.as_str());
        let in_crisis = crisis::in_window(&*self.conversations, user, since, at, theirs).await?;

        let (text, variant, model) = if let Some(category) = in_crisis {
            (self.gentle(&settings, Some(category)), "gentle", None)
        } else if self.hard_day(user, date).await? {
            (self.gentle(&settings, None), "gentle", None)
        } else {
            self.compose(user, &settings, &recent, at).await
        };
        // A check-in starts an interaction: it carries the disclosure,
        // and the record makes the next chat reply carry it too.
        let language =
            crisis_resources::for_locale(&settings.locale, &self.default_locale).language;
        let state = self.settings.notices(user).await?;
        let shown = self.notices.for_checkin(&state, at, language);
        let c = CheckIn {
            id: date.to_string(),
            local_date: date,
            text,
            created_at: at,
            variant: variant.into(),
            model,
            pushed: false,
            notices: shown.notices,
        };
        let (stored, created) = self.checkins.record_checkin(user, &c).await?;
        if !created {
            // Another job for the same person won the race just now, and
            // is pushing it.
            return Ok(Outcome::Already { pushed: Pushed::No });
        }
        self.record_checkin_notices(user, shown.next, at, language)
            .await;
        let pushed = self.push(user, &settings, &stored).await;
        let event = DomainEvent::CheckInReady {
            user: user.clone(),
            checkin_id: stored.id.clone(),
            at,
        };
        if let Err(e) = self.events.publish(&[event]).await {
            tracing::error!(user = %user, error = %e, "check-in stored, but CheckInReady could not be published");
        }
        tracing::info!(user = %user, date = %date, pushed = (pushed == Pushed::Yes), "check-in written");
        // Apart from the user: a gentle check-in follows a crisis.
        tracing::info!(parent: None, variant = stored.variant.as_str(), "check-in variant");
        Ok(Outcome::Written { pushed })
    }

    /// Keep that a check-in disclosed (so the next chat reply discloses
    /// too): one conditional write, and once more from a fresh read if a
    /// chat turn wrote between. Failing only means the next reply may go
    /// without it; the check-in itself carries it.
    async fn record_checkin_notices(
        &self,
        user: &UserId,
        next: NoticeState,
        at: DateTime<Utc>,
        language: Language,
    ) {
        let mut next = next;
        for attempt in 0..2 {
            match self.settings.record_notices(user, &next).await {
                Ok(true) => return,
                Ok(false) if attempt == 0 => match self.settings.notices(user).await {
                    Ok(state) => next = self.notices.for_checkin(&state, at, language).next,
                    Err(e) => {
                        tracing::warn!(user = %user, error = %e, "could not re-read the notice record");
                        return;
                    }
                },
                Ok(false) => {
                    tracing::warn!(user = %user, "the notice record kept changing; the check-in's disclosure is on the check-in only")
                }
                Err(e) => {
                    tracing::warn!(user = %user, error = %e, "could not record the check-in's disclosure");
                    return;
                }
            }
        }
    }

    /// The gentle line in the language of the person's resources, with
    /// those resources (for `category`, or the general ones).
    fn gentle(&self, settings: &Settings, category: Option<CrisisCategory>) -> String {
        let resources = crisis_resources::for_locale(&settings.locale, &self.default_locale);
        let line = checkin::gentle(resources.language);
        format!(
            "{line}\n\n{}",
            crisis_resources::render(resources, category)
        )
    }

    /// Whether extraction marked the local `date` or the day before as a
    /// hard day (`memory::hard_day_id`). The marker says only that: its
    /// category and the words are not kept.
    async fn hard_day(&self, user: &UserId, date: chrono::NaiveDate) -> Result<bool, StoreError> {
        let wanted: Vec<_> = [Some(date), date.pred_opt()]
            .into_iter()
            .flatten()
            .filter_map(memory::hard_day_id)
            .collect();
        let filter = MemoryFilter {
            category: Some(Category::Sensitive),
            include_superseded: false,
        };
        let markers = self
            .memories
            .list_memories(user, &filter, &PageRequest::first(MARKERS_READ))
            .await?;
        Ok(markers.items.iter().any(|m| wanted.contains(&m.id)))
    }

    /// Whether the minors' rules (daytime check-ins) apply to the person.
    fn minor(&self, settings: &Settings) -> bool {
        settings.age_band.is_minor(self.notices.unknown_as_minor)
    }

    /// The model's line within the limit: one stricter retry, then the
    /// fallback. The reply check (`domain::reply_check`, its rules) reads
    /// the line before it is stored or pushed: a line it catches is
    /// replaced and counted, with no user id: by the gentle line with the
    /// self-harm resources when it gives method or means detail, else by
    /// the fallback line. Returns (text, variant, model).
    async fn compose(
        &self,
        user: &UserId,
        settings: &Settings,
        recent: &[(Role, String)],
        at: DateTime<Utc>,
    ) -> (String, &'static str, Option<String>) {
        let minor = self.minor(settings);
        let said: String = recent
            .iter()
            .filter(|(r, _)| *r == Role::User)
            .map(|(_, t)| t.as_str())
            .collect::<Vec<_>>()
            .join(" ");
        let known = self
            .retriever
            .memories_section(user, &said, Route::Support, at, "check-in")
            .await;
        for stricter in [false, true] {
            let request = prompts::checkin::request(recent, known.as_deref(), stricter);
            match self
                .models
                .complete_for(
                    user,
                    "checkin",
                    ModelRole::Checkin,
                    Some(ModelRole::Chat),
                    &request,
                    Instant::now() + MODEL_DEADLINE,
                )
                .await
            {
                Ok(a) => {
                    let truncated =
                        a.completion.finish == crate::domain::completion::FinishReason::Length;
                    if let Some(line) = checkin::usable(&a.completion.content, truncated) {
                        if let Some(issue) = crate::domain::reply_check::check(&line, minor) {
                            super::reply_check::count_replaced(issue, "checkin");
                            if issue == crate::domain::reply_check::ReplyIssue::MethodDetail {
                                let text = self.gentle(settings, Some(CrisisCategory::SelfHarm));
                                return (text, "gentle", None);
                            }
                            return (FALLBACK.to_string(), "fallback", None);
                        }
                        return (line, "model", Some(a.completion.model));
                    }
                    tracing::warn!(user = %user, chars = a.completion.content.chars().count(), stricter, "check-in line unusable (too long or cut off)");
                }
                Err(e) => {
                    tracing::warn!(user = %user, error = %e, "the check-in role did not answer; sending the fallback line");
                    break;
                }
            }
        }
        (FALLBACK.to_string(), "fallback", None)
    }

    /// Today's check-in was stored by an earlier pass (or a job): push it
    /// if that could not.
    async fn push_again(&self, user: &UserId, settings: &Settings, c: &CheckIn) -> Pushed {
        if c.pushed || self.push.is_none() || settings.push_token.is_none() {
            return Pushed::No;
        }
        tracing::info!(user = %user, date = %c.local_date, "today's check-in was stored but not pushed; pushing it now");
        self.push(user, settings, c).await
    }

    /// Push the check-in if the person has a token. A token FCM no longer
    /// knows is forgotten; other failures are logged, and the check-in
    /// stays stored and listed.
    async fn push(&self, user: &UserId, settings: &Settings, c: &CheckIn) -> Pushed {
        let (Some(push), Some(token)) = (&self.push, &settings.push_token) else {
            tracing::info!(user = %user, "no push configured or no device token; the check-in is stored and listed");
            return Pushed::No;
        };
        let note = PushNotification {
            title: "Hearth".into(),
            body: c.text.clone(),
        };
        match push.send(token, &note).await {
            Ok(PushOutcome::Delivered) => {
                if let Err(e) = self.checkins.mark_pushed(user, &c.id).await {
                    tracing::warn!(user = %user, error = %e, "pushed, but could not mark it");
                }
                Pushed::Yes
            }
            Ok(PushOutcome::Unregistered) => {
                tracing::info!(user = %user, "FCM says the device token is unregistered; forgetting it");
                let mut s = settings.clone();
                s.push_token = None;
                if let Err(e) = self.settings.put_settings(user, &s).await {
                    tracing::error!(user = %user, error = %e, "could not forget the unregistered token");
                }
                Pushed::No
            }
            Err(PushError::Retryable(e)) => {
                tracing::error!(user = %user, error = %e, "FCM unavailable; the check-in stays stored, and a pass run again pushes it");
                Pushed::Later
            }
            Err(PushError::Failed(e)) => {
                tracing::error!(user = %user, error = %e, "push failed; the check-in stays stored");
                Pushed::No
            }
        }
    }
}

/// A fanned-out `checkin` job: the same per-person step as the inline pass.
/// A store error, or a push that FCM could not take yet, fails the job, so
/// that its redelivery finishes it (the check-in is written once per local
/// date whatever happens).
#[async_trait]
impl JobHandler for CheckinPass {
    async fn handle(&self, job: &Job) -> Result<(), JobError> {
        let Job::Checkin { user, at } = job else {
            return Err(JobError::Permanent(format!(
                "{} is not a check-in job",
                job.kind()
            )));
        };
        match self.one(user, *at).await {
            Ok(
                Outcome::Already {
                    pushed: Pushed::Later,
                }
                | Outcome::Written {
                    pushed: Pushed::Later,
                },
            ) => Err(JobError::Failed(
                "the check-in is stored, but FCM was unavailable; its redelivery pushes it".into(),
            )),
            Ok(_) => Ok(()),
            Err(e) => Err(JobError::Failed(e.to_string())),
        }
    }
}
