//! What sets a rule's match aside, in every language the screen reads: a
//! negation just before it ("I don't want to die", "no quiero morir") or
//! just after ("ich verletz mich nicht mehr"), a past and resolved time
//! ("years ago", "hace años"), a message that says it is resolved ("I'm
//! safe now"), someone else as the subject ("my friend says she wants to
//! die"), laughter around a figure of speech ("I want to die lol"), and a
//! word being talked about rather than meant ("what does kms mean?", a
//! quotation).

use regex::Regex;
use std::sync::LazyLock;

fn re(pattern: &str) -> Regex {
    Regex::new(pattern).expect("guard patterns are valid")
}

/// Negators in English, Spanish, French, German and Portuguese, as they
/// read after preparing (no accents: "jamás" is "jamas", "não" is "nao").
static NEGATOR: LazyLock<Regex> = LazyLock::new(|| {
    re(concat!(
        r"\b(not|never|no|nor|without|used to|no intention of|nothing like|",
        r"nunca|jamas|ni|sin|tampoco|",
        r"ne|pas|jamais|sans|",
        r"nicht|nie|niemals|kein|keine|keinen|keinem|keiner|nix|nichts|",
        r"nao|nem|sem)\b|\bn'",
    ))
});

/// Negators that follow what they negate (German, French).
static NEGATOR_AFTER: LazyLock<Regex> = LazyLock::new(|| {
    re(concat!(
        r"^[ ,]*(nicht|nie|niemals|pas|jamais)\b|",
        // French "plus" after the verb is "no longer" ("je me coupe plus
        // depuis un an"), not "more" ("plus que jamais").
        r"^[ ,]*plus( (du tout|jamais|depuis|maintenant|rien|personne|aujourd'hui)\b| ?[,.!?;]|$)",
    ))
});

/// How many words before a match a negator may stand.
const NEGATION_WINDOW: usize = 3;

/// "Can't stop", "no puedo dejar de": a negation that insists, not denies.
static INSISTING: LazyLock<Regex> = LazyLock::new(|| {
    re(concat!(
        r"\b(can|could) not (stop|help)\b|\bno (puedo|pude) (dejar|parar) de\b|",
        r"\bj'arrive (pas|plus) a arreter de\b|\bje (ne )?peux (pas|plus) m'empecher de\b|",
        r"\bkann (nicht|nie) aufhoren\b|\bnao (consigo|paro) (de )?(parar|deixar)?",
    ))
});

/// Whether a negator stands within three words before a match, in the
/// same clause (a message-scope match does not look past a full stop).
pub fn negated_before(before: &str) -> bool {
    let clause = before
        .rfind(['.', '!', '?', ';', ',', ':', '\n'])
        .map_or(before, |i| &before[i + 1..]);
    let clause = INSISTING.replace_all(clause, " ");
    let words: Vec<&str> = clause.split_whitespace().collect();
    let start = words.len().saturating_sub(NEGATION_WINDOW);
    // In Portuguese "no" is "in the" ("to no telhado"): its negation is "nao".
    let portuguese = words.iter().any(|w| PORTUGUESE.contains(w));
    let window: Vec<&str> = words[start..]
        .iter()
        .copied()
        .filter(|w| !(portuguese && *w == "no"))
        .collect();
    NEGATOR.is_match(&window.join(" "))
}

/// Words only Portuguese has among the five languages, to tell its "no"
/// ("in the") from the negation of English and Spanish.
const PORTUGUESE: &[&str] = &[
    "eu", "e", "meu", "minha", "meus", "minhas", "pra", "voce", "ele", "ela", "isso", "essa",
    "esse", "tenho", "vou", "estou", "tou", "tava", "estava", "uma", "com", "muito", "agora",
    "nao", "sozinha", "sozinho", "ja", "tambem",
];

pub fn negated_after(after: &str) -> bool {
    NEGATOR_AFTER.is_match(after)
}

/// A time long past, or a past habit, in the same scope.
static PAST: LazyLock<Regex> = LazyLock::new(|| {
    re(concat!(
        r"\b(years ago|months ago|(a )?long time ago|as a (kid|child|teen|teenager)|",
        r"when i was (younger|a kid|a child|a teen|a teenager|little|small|in (high |middle )?school|in college|in university|[0-9]+)|",
        r"in (high|middle) school|in college|back in (19|20)[0-9][0-9]|in (19|20)[0-9][0-9]|back then|in the past|",
        r"at (age )?(1[0-9]|[2-9][0-9])|",
        r"hace (\w+ ){0,2}(anos|meses)|cuando (tenia|era) |de (nino|nina|adolescente)|",
        r"il y a (\w+ ){0,2}(ans|annees|mois)|quand j'etais|a (1[0-9]|[2-9][0-9]) ans|ca fait (\w+ )?ans que|",
        r"vor (\w+ ){0,2}(jahren|monaten)|als ich (jung|klein|ein kind|jugendlich|teenager|[0-9]+) war|mit (1[0-9]|[2-9][0-9])\b|in der schulzeit|damals|fruher|",
        r"ha (\w+ ){0,2}(anos|meses)|faz (\w+ ){0,2}anos|quando eu era|quando (eu )?tinha|aos (1[0-9]|[2-9][0-9])|no ensino medio)\b",
    ))
});

pub fn past(scope: &str) -> bool {
    PAST.is_match(scope)
}

/// A message that says the danger is over ("I'm safe now", "therapy
/// helped"); a negated marker ("no estoy bien") does not count.
static RESOLVED: LazyLock<Regex> = LazyLock::new(|| {
    re(concat!(
        r"\b(i am safe now|i am safe at home|i am (doing )?(much )?better now|i am fine now|i am okay now|",
        r"therapy (really )?helped|clean for (\w+ )?(years|year)|been fine (for years|since)|",
        r"but not anymore|not anymore thankfully|i am proud of (myself|that)|out of my life|",
        r"ya estoy a salvo|estoy a salvo|la terapia me ayudo|llevo (\w+ )?(anos|meses) bien|",
        r"je suis en securite|la therapie m'a (beaucoup )?(aide|aidee)|je vais bien|",
        r"in sicherheit|es geht mir (jetzt )?gut|(die )?therapie hat (mir )?(sehr |echt |wirklich )?geholfen|",
        r"to segura|to seguro|estou segura|estou seguro|to bem|estou bem|a terapia me ajudou)\b",
    ))
});

pub fn resolved(message: &str) -> bool {
    RESOLVED
        .find_iter(message)
        .any(|m| !negated_before(&message[..m.start()]))
}

/// Laughter or a joke marker anywhere in the message.
static LAUGHTER: LazyLock<Regex> = LazyLock::new(|| {
    re(concat!(
        r"\b(lol|lmao|lmfao|rofl|haha\w*|hehe\w*|jaja\w*|jeje\w*|mdr|ptdr|kkk+|xd|jk|just kidding|",
        r"jk|im joking|i am joking|es broma|c'est pour rire|nur spass|brincadeira)\b|😂|🤣|💀|😹|😆",
    ))
});

pub fn laughing(message: &str) -> bool {
    LAUGHTER.is_match(message)
}

/// A word talked about, not meant ("what does kms mean", "was bedeutet").
static MENTION: LazyLock<Regex> = LazyLock::new(|| {
    re(concat!(
        r"\bwhat (does|do|is) .{0,40}\bmean\b|\bmeaning of\b|\bstands? for\b|",
        r"\bque significa\b|\bsignifica\b|\bveut dire\b|\bsignifie\b|\bwas bedeutet\b|\bbedeutet\b|\bwas heisst\b",
    ))
});

pub fn mentioned(scope: &str) -> bool {
    MENTION.is_match(scope)
}

/// A game, a story or a film: harm to others there is not meant ("in the
/// game i have to kill the boss", "in my novel the killer...").
static FICTION: LazyLock<Regex> = LazyLock::new(|| {
    re(concat!(
        r"\b(game|games|video game|fortnite|minecraft|gta|skyrim|roblox|novel|story|movie|film|book|",
        r"character|characters|script|fiction|episode|series|dnd|campaign|roleplay|",
        r"juego|videojuego|partida|novela|pelicula|serie|personaje|jeu|roman|perso|personnage|spiel|charakter|jogo|filme|livro|personagem)\b",
    ))
});

pub fn fictional(message: &str) -> bool {
    FICTION.is_match(message)
}

/// Whether `offset` in `message` lies inside double quotes.
pub fn quoted(message: &str, offset: usize) -> bool {
    // Straight quotes (curly ones are straightened by then), guillemets and
    // German low quotes: an odd number before the offset is inside a quote.
    message[..offset]
        .chars()
        .filter(|c| matches!(c, '"' | '\u{AB}' | '\u{BB}' | '\u{201E}'))
        .count()
        % 2
        == 1
}

/// Words that name the writer as a person (not "my", which also goes with
/// things: "someone in my group chat posted a goodbye").
const FIRST_PERSON: &[&str] = &[
    "i", "me", "myself", "yo", "je", "moi", "ich", "mich", "mir", "eu",
];

/// Words that name someone else as a subject.
const OTHERS: &[&str] = &[
    "he",
    "she",
    "they",
    "his",
    "their",
    "who",
    "someone",
    "somebody",
    "people",
    "person",
    "friend",
    "friends",
    "brother",
    "sister",
    "mom",
    "mum",
    "dad",
    "mother",
    "father",
    "son",
    "daughter",
    "wife",
    "husband",
    "partner",
    "boyfriend",
    "girlfriend",
    "kid",
    "child",
    "cousin",
    "uncle",
    "aunt",
    "roommate",
    "coworker",
    "patient",
    "student",
    "client",
    "teen",
    "teenager",
    "teenagers",
    "grandpa",
    "grandma",
    "grandfather",
    "grandmother",
    "mate",
    "colleague",
    "classmate",
    "character",
    "guy",
    "man",
    "woman",
    "girl",
    "boy",
    "ella",
    "ellos",
    "ellas",
    "amigo",
    "amiga",
    "hermano",
    "hermana",
    "hijo",
    "hija",
    "madre",
    "padre",
    "abuelo",
    "abuela",
    "il",
    "elle",
    "ils",
    "elles",
    "ami",
    "amie",
    "pote",
    "copine",
    "copain",
    "frere",
    "soeur",
    "fils",
    "fille",
    "er",
    "sie",
    "freund",
    "freundin",
    "bruder",
    "schwester",
    "sohn",
    "tochter",
    "mitbewohner",
    "kumpel",
    "kumpeline",
    "ele",
    "ela",
    "eles",
    "elas",
    "irmao",
    "irma",
    "filho",
    "filha",
    "primo",
    "prima",
    "avo",
    // Relations in Spanish, French, German and Portuguese (not words a
    // writer also says of themselves, such as "femme" or "frau").
    "novio",
    "novia",
    "marido",
    "esposo",
    "esposa",
    "tio",
    "tia",
    "vecino",
    "vecina",
    "companero",
    "companera",
    "alguien",
    "mama",
    "papa",
    "mere",
    "pere",
    "mari",
    "tante",
    "oncle",
    "cousine",
    "voisin",
    "voisine",
    "collegue",
    "quelqu'un",
    "gars",
    "mec",
    "meuf",
    "mutter",
    "vater",
    "oma",
    "opa",
    "onkel",
    "kollege",
    "kollegin",
    "nachbar",
    "nachbarin",
    "jemand",
    "freunde",
    "mae",
    "pai",
    "vizinho",
    "vizinha",
    "namorado",
    "namorada",
    "colega",
    "alguem",
    "menino",
    "menina",
    "jemandem",
    "jemanden",
    "leute",
    "menschen",
    "gens",
    "gente",
    "personas",
    "pessoas",
    "jugendliche",
    "jugendlichen",
    "adolescentes",
    "ados",
    "jovens",
    "jovenes",
];

/// Whether the nearest person named before a match is someone else:
/// reading back from the match, another person comes before the writer.
pub fn someone_else(before: &str) -> bool {
    let words: Vec<&str> = before
        .split(|c: char| !(c.is_alphanumeric() || c == '\''))
        .filter(|w| !w.is_empty())
        .collect();
    for (i, word) in words.iter().enumerate().rev() {
        let word = word.strip_suffix("'s").unwrap_or(word);
        if FIRST_PERSON.contains(&word) || word.starts_with("j'") || word.starts_with("m'") {
            return false;
        }
        // Spanish "he" before a participle is "I have" ("he estado").
        let spanish_have = word == "he"
            && words.get(i + 1).is_some_and(|next| {
                ["ado", "ido", "cho", "sto", "ito", "elto"]
                    .iter()
                    .any(|end| next.ends_with(end))
            });
        if spanish_have {
            return false;
        }
        if OTHERS.contains(&word) {
            return true;
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_negation_counts_within_three_words_before_or_just_after() {
        assert!(negated_before("i do not"));
        assert!(negated_before("i have no plans to"));
        assert!(!negated_before("i do not know man i kind of"));
        assert!(negated_before("no quiero"));
        assert!(negated_before("j'ai pas"));
        assert!(!negated_before("no more waiting. i am"));
        assert!(!negated_before("i can not stop"));
        assert!(negated_after(" nicht mehr"));
        assert!(!negated_after(" mehr"));
    }

    #[test]
    fn the_negations_of_each_language_count() {
        assert!(negated_before("je ne"));
        assert!(!negated_before("mdr je vais"));
        assert!(negated_before("ich will nicht"));
        assert!(negated_before("ich hab keine"));
        assert!(negated_before("nao"));
        assert!(negated_before("eu nunca"));
        assert!(negated_before("no"));
        assert!(negated_before("jamas"));
        // French "plus" after the verb: no longer, not more.
        assert!(negated_after(" plus depuis deux ans"));
        assert!(negated_after(" plus, ca va"));
        assert!(!negated_after(" plus que jamais"));
        // Portuguese "no" is "in the".
        assert!(!negated_before("to no telhado e "));
        assert!(negated_before("hoy no "));
    }

    #[test]
    fn other_languages_name_their_people_and_quotes() {
        assert!(someone_else("mi amiga dice que "));
        assert!(someone_else("ma copine dit que "));
        assert!(someone_else("wie kann ich jemandem mit "));
        assert!(someone_else("meu irmao disse que "));
        assert!(!someone_else("he estado "));
        assert!(someone_else("he said he was "));
        assert!(quoted("ma pote dit « je vais me tuer", 17));
        assert!(quoted("sie sagt immer \u{201E}ich bring mich um", 20));
        assert!(past("vor ein paar jahren hatte ich"));
        assert!(past("il y a quelques annees"));
        assert!(resolved("die therapie hat mir sehr geholfen"));
    }

    #[test]
    fn past_and_resolved_times_are_recognised() {
        assert!(past("i had suicidal thoughts years ago"));
        assert!(past("when i was 16 i tried"));
        assert!(past("hace dos anos tuve pensamientos suicidas"));
        assert!(!past("i cut myself last night"));
        assert!(resolved("my ex used to hit me but i am safe now"));
        assert!(resolved("hoje tenho 30 e to bem"));
        assert!(!resolved("nao to bem, quero morrer"));
    }

    #[test]
    fn the_nearest_person_decides_who_it_is_about() {
        assert!(someone_else("my friend said she "));
        assert!(someone_else("my partner struggles with "));
        assert!(!someone_else("my therapist says i have "));
        assert!(!someone_else("honestly "));
        assert!(someone_else("my roommate's "));
        assert!(someone_else("someone in my group chat posted a "));
    }

    #[test]
    fn laughter_mentions_and_quotes_are_seen() {
        assert!(laughing("i want to die lol my hair"));
        assert!(laughing("i'm dead 💀"));
        assert!(!laughing("i want to die"));
        assert!(mentioned("what does kill myself mean in texting"));
        assert!(mentioned("was bedeutet unalive"));
        assert!(quoted("she always says \"i want to die", 21));
        assert!(!quoted("i want to die", 2));
    }
}
