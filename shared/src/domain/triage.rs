//! The router: picks a route for every message, in-process, and says why.
//! The crisis screen runs first and wins. Otherwise:
//! - named features (weighted patterns) score `reasoning` and `pattern`;
//!   the higher score wins if it reaches the threshold;
//! - where they find neither, the message is `support` (`route`), or, with
//!   its sentence encoding (`route_with`), a small linear classifier over
//!   the vector (`encoded`, weights committed as data) picks `support`,
//!   `reasoning` or `pattern`. No vector (the encoder is missing) routes
//!   exactly as `route` does.
//!
//! The reasons explain the route: the features that fired for it, with
//! `encoding` added when the encoding chose it.

pub mod encoded;

pub use encoded::RouteScores;

use super::route::Route;
use super::safety::{CrisisSignal, screen_normalized};
use super::text::normalize;
use regex::RegexSet;
use std::sync::LazyLock;

/// A route and the evidence for it.
#[derive(Debug, Clone, PartialEq)]
pub struct Decision {
    pub route: Route,
    pub crisis: Option<CrisisSignal>,
    /// Names of the features that fired for the chosen route.
    pub reasons: Vec<&'static str>,
    /// The named features' score for the chosen route (0 for `support`).
    pub score: f32,
    /// The encoding classifier's probabilities, when a vector was given.
    pub encoding: Option<RouteScores>,
}

/// A route's score must reach this to beat `support`.
const THRESHOLD: f32 = 3.0;

type Feature = (&'static str, f32, &'static str);

const PATTERN: &[Feature] = &[
    (
        "why_always",
        3.0,
        r"\bwhy (do|does|did|am|is|do all) (i|it|this|everything|everyone|my \w+|relationships)\b.*\b(always|keep|every time|never|again)\b",
    ),
    (
        "why_keep",
        3.0,
        r"\bwhy (does|do) (this|it|things) keep\b|\bwhy do i (always|keep|get so)\b",
    ),
    (
        "habitual",
        3.0,
        r"\b(do|does|am|is) (i|it|my \w+) (always|usually|tend|generally)\b|\bdo i tend to\b",
    ),
    (
        "pattern_word",
        3.0,
        r"\bpatterns?\b|\brecurring\b|\bin common\b|\bthemes?\b",
    ),
    (
        "progress",
        2.0,
        r"\bprogress\b|\bimprov(e|ed|ing)\b|\b(getting|gotten|got) (better|worse)\b|\bbetter or worse\b|\bbiggest wins\b|\bmore consistent\b|\bhow consistent\b",
    ),
    (
        "over_time",
        2.0,
        r"\blately\b|\brecently\b|\bover time\b|\bover the (past|last)\b|\bsince (we|i) (started|first|began)\b|\bcompared to\b|\bin the past\b|\b(past|last) (few|couple)\b|\bthe last few\b|\blooking back\b",
    ),
    (
        "have_i",
        2.0,
        r"\bhave i (been|mentioned|made|talked|told)\b|\bhas (my|it|this) \w*\s?(been|become|changed|gotten)\b|\bhave (my|things) \w*\s?(become|been|gotten|changed|improved)\b|\bhow has my\b",
    ),
    (
        "from_what_ive_shared",
        3.0,
        r"\b(from|based on) what i have (told|shared|said)\b|\bfrom our conversations\b|\blooking back at our conversations\b",
    ),
    (
        "have_you_noticed",
        2.5,
        r"\bhave you noticed\b|\bdo you (notice|see)\b|\bwhat (do|did) you notice\b",
    ),
    (
        "keep_doing",
        2.0,
        r"\bkeep (coming back|ending up|falling|having|saying|procrastinating|repeating|getting|doing|making)\b|\bgoing in circles\b|\bstuck on the same\b",
    ),
    (
        "same_again",
        2.0,
        r"\bsame (mistakes?|problem|worries|kind|dream|thing|arguments?)\b|\bagain\b|\bthe (third|second|fourth) time\b",
    ),
    (
        "recall",
        3.0,
        r"\bremind me\b|\bwhen did i last\b|\bwhat have i been\b|\bhow have i been\b|\bwhat (has|have|is) (been )?(changed|helped)\b|\bwhat seems to help\b|\bwhat (triggers|helps) my\b|\bwhat (tends|seems) to\b|\bwhat do my\b",
    ),
    (
        "frequency",
        2.0,
        r"\bhow often\b|\b(more|less) (often|frequent)\b|\bevery (winter|summer|time|monday|sunday|week|month|year)\b|\bon days (i|when)\b|\bis there a connection\b|\b(mornings|evenings) or\b",
    ),
    (
        "am_i_trend",
        2.0,
        r"\bam i (repeating|getting|making|spending|more|less|improving|actually|still)\b",
    ),
    ("before", 1.0, r"\b(before|in the past)\b"),
    (
        "my_state",
        1.0,
        r"\bmy (mood|moods|sleep|anxiety|stress)\b|\b(always|never|usually)\b",
    ),
];

const REASONING: &[Feature] = &[
    ("should_i", 3.0, r"\bshould (i|we)\b"),
    (
        "help_me_think",
        3.0,
        r"\bhelp me (decide|plan|think|figure|weigh|make|analy[sz]e|draft|work|choose|design|prepare|compare|budget|sort|organi[sz]e)\b|\b(could|can) you help me (decide|plan|think|figure|weigh|make|analy[sz]e|draft|work|choose|design|prepare|compare)\b",
    ),
    (
        "how_to_approach",
        3.0,
        r"\bhow (do|should|can|could|would) (i|we|you) (decide|choose|approach|figure|weigh|handle|prepare|structure|split|budget|negotiate|compare|work out|go about|raise|rearrange|allocate|make a|plan|tell|set limits|pay|get|learn|manage|balance)\b",
    ),
    (
        "tradeoffs",
        2.0,
        r"\bpros and cons\b|\btrade-?offs?\b|\b(my|the) options\b|\bfactors\b|\b(the )?risks\b",
    ),
    (
        "choice",
        2.0,
        r"\bcompare\b|\bversus\b|\bvs\.?\b|\bweigh(ing)?\b|\bdecid(e|ing)\b|\bwhether (to|i should)\b|\btorn between\b|\bchoose between\b|\bprioriti[sz]e\b",
    ),
    (
        "need_plan",
        3.0,
        r"\b(need|want|make|draft|design|create|build) (a |an |my )?([\w-]+ )?(plan|schedule|routine|budget|strategy)\b",
    ),
    (
        "plan",
        2.0,
        r"\bplan\b|\bplanning\b|\bschedule\b|\bbudget\b|\broutine\b|\bstrategy\b|\bstep[- ]by[- ]step\b|\bsteps\b|\bwhat order\b|\bbreak (it )?down\b|\bwalk me through\b|\bsix months\b",
    ),
    (
        "what_should",
        3.0,
        r"\bwhat should (i|my|we) (consider|do|say|compare|ask|plan|be)\b|\bwhat do i need to\b|\bwhat are (my|the) (options|risks)\b|\bwhat questions\b|\bwhat (factors|steps)\b|\bwhat should my\b|\bwhat would be a\b",
    ),
    (
        "reason_it",
        2.0,
        r"\bthink (it |this )?through\b|\breason it out\b|\bwork (through|out)\b|\blogically\b|\banaly[sz]e\b",
    ),
    (
        "how_modal",
        2.0,
        r"\bhow (could|can|should|would) (i|we)\b|\bexplain how\b",
    ),
    (
        "best_way",
        3.0,
        r"\b(what is|what) the (best|smartest|most sensible) (way|order)\b|\bsensible way\b|\brealistic plan\b|\bbest way to\b|\bhow (would|do) you approach\b",
    ),
    ("or_choice", 1.0, r"\b(or|either)\b.*\?"),
    (
        "money",
        1.0,
        r"\b\d[\d,.]*k?\b|\b(loan|loans|debt|savings|rent|lease|mortgage|invest|insurance|deductible|premium|salary|raise|equity)\b",
    ),
];

/// One automaton per route: a single pass finds every feature that fires.
struct Features {
    set: RegexSet,
    table: &'static [Feature],
}

fn compile(table: &'static [Feature]) -> Features {
    Features {
        set: RegexSet::new(table.iter().map(|(_, _, p)| p)).expect("router features are valid"),
        table,
    }
}

static PATTERN_RE: LazyLock<Features> = LazyLock::new(|| compile(PATTERN));
static REASONING_RE: LazyLock<Features> = LazyLock::new(|| compile(REASONING));

fn score(text: &str, features: &Features) -> (f32, Vec<&'static str>) {
    let mut total = 0.0;
    let mut reasons = Vec::new();
    for i in features.set.matches(text).iter() {
        let (name, weight, _) = features.table[i];
        total += weight;
        reasons.push(name);
    }
    (total, reasons)
}

/// Route one message with the named features alone.
pub fn route(message: &str) -> Decision {
    route_with(message, None)
}

/// Route one message, reading its sentence encoding when there is one: the
/// encoder's unit vector of `message` (all-MiniLM-L6-v2). `None`, or a
/// vector of another length, routes exactly as `route` does. The crisis
/// screen runs first and its flag always wins.
pub fn route_with(message: &str, vector: Option<&[f32]>) -> Decision {
    let text = normalize(message);
    if let Some(signal) = screen_normalized(&text) {
        return Decision {
            route: Route::Crisis,
            reasons: vec![signal.rule],
            crisis: Some(signal),
            score: f32::INFINITY,
            encoding: None,
        };
    }
    let features = named_features(&text);
    let Some(scores) = vector.and_then(|v| encoded::MODEL.scores(v)) else {
        return features.decision(None);
    };
    // A route the named features choose stands; where they find nothing
    // (support), the encoding decides. Chosen by cross-validation on the
    // training examples (shared/tests/route_model.rs, `cross_validate`).
    let mut decision = match features.route() {
        Route::Support => {
            let mut d = features.explain(scores.best().0);
            d.reasons.push("encoding");
            d
        }
        route => features.explain(route),
    };
    decision.encoding = Some(scores);
    decision
}

/// What the named features found in one message.
struct Scored {
    reasoning: (f32, Vec<&'static str>),
    pattern: (f32, Vec<&'static str>),
}

fn named_features(text: &str) -> Scored {
    let (mut r_score, mut r_reasons) = score(text, &REASONING_RE);
    // A long, multi-part message is more likely a problem to work through.
    let words = text.split_whitespace().count();
    if r_score > 0.0 && words > 20 {
        r_score += 1.0;
        r_reasons.push("long_message");
    }
    Scored {
        reasoning: (r_score, r_reasons),
        pattern: score(text, &PATTERN_RE),
    }
}

impl Scored {
    /// The route the named features choose on their own.
    fn route(&self) -> Route {
        let (r, p) = (self.reasoning.0, self.pattern.0);
        if p >= THRESHOLD && p >= r {
            Route::Pattern
        } else if r >= THRESHOLD {
            Route::Reasoning
        } else {
            Route::Support
        }
    }

    fn decision(self, encoding: Option<RouteScores>) -> Decision {
        let route = self.route();
        let mut d = self.explain(route);
        d.encoding = encoding;
        d
    }

    /// `route`, explained by the features that fired for it.
    fn explain(self, route: Route) -> Decision {
        let (score, reasons) = match route {
            Route::Reasoning => self.reasoning,
            Route::Pattern => self.pattern,
            Route::Support | Route::Crisis => (0.0, Vec::new()),
        };
        Decision {
            route,
            crisis: None,
            reasons,
            score,
            encoding: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_are_explained() {
        let d = route("Should I take the job in Berlin or stay? Help me decide.");
        assert_eq!(d.route, Route::Reasoning);
        assert!(d.reasons.contains(&"should_i"));
        let d = route("Why do I always argue with my mum on Sundays?");
        assert_eq!(d.route, Route::Pattern);
        assert!(d.reasons.contains(&"why_always"));
        let d = route("I had a nice walk today");
        assert_eq!((d.route, d.reasons.len()), (Route::Support, 0));
        let d = route("I want to kill myself");
        assert_eq!(d.route, Route::Crisis);
        assert_eq!(d.reasons, vec!["kill_myself"]);
    }

    #[test]
    fn without_a_vector_it_routes_on_the_named_features_alone() {
        for text in [
            "Should I take the job in Berlin or stay? Help me decide.",
            "Why do I always argue with my mum on Sundays?",
            "I had a nice walk today",
            "I want to kill myself",
        ] {
            let alone = route(text);
            assert_eq!(route_with(text, None), alone);
            assert_eq!(route_with(text, Some(&[0.5; 3])), alone, "wrong length");
            assert_eq!(alone.encoding, None);
        }
    }

    /// A unit vector leaning on one class's weights.
    fn leaning(route: Route) -> Vec<f32> {
        let model = &*encoded::MODEL;
        let i = encoded::CLASSES.iter().position(|r| *r == route).unwrap();
        let row = &model.weights[i];
        let norm = row.iter().map(|w| w * w).sum::<f32>().sqrt();
        row.iter().map(|w| w / norm).collect()
    }

    #[test]
    fn the_encoding_decides_where_the_features_find_nothing() {
        let v = leaning(Route::Pattern);
        let d = route_with("I had a nice walk today", Some(&v));
        assert_eq!(d.route, Route::Pattern);
        assert_eq!(d.reasons, vec!["encoding"]);
        let scores = d.encoding.expect("scores kept");
        assert!(scores.pattern > scores.support);
        // A route the features choose stands, explained by them.
        let d = route_with(
            "Should I take the job in Berlin or stay? Help me decide.",
            Some(&v),
        );
        assert_eq!(d.route, Route::Reasoning);
        assert!(d.reasons.contains(&"should_i"));
        assert!(!d.reasons.contains(&"encoding"));
    }

    #[test]
    fn the_encoding_never_unflags_a_crisis() {
        for route_ in encoded::CLASSES {
            let d = route_with("I want to kill myself", Some(&leaning(route_)));
            assert_eq!(d.route, Route::Crisis);
            assert!(d.crisis.is_some());
        }
    }
}
