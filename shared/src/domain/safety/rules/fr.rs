//! French cues, written from the French rows of data/safety/train.jsonl
//! and common phrasing (France, Belgium, Switzerland, Quebec). Prepared
//! text has no accents and keeps its apostrophes: "j'ai plus envie de
//! vivre", "mettre fin a mes jours". First-person forms ("je veux
//! mourir", "je me suis coupee") keep third-person talk ("elle veut
//! mourir") out; `guards` sets aside negations ("ne... pas", "jamais"),
//! the past ("il y a des annees"), someone else and laughter ("mdr").
//! Spoken negation often drops "ne" ("j'ai plus envie"), so patterns that
//! mean a crisis through a negation hold it inside the match.

use super::{Rule, rule};
use crate::domain::safety::CrisisCategory::{DangerNow, HarmToOthers, SelfHarm, Suicidal};

/// What makes "je vais le tuer" more than a figure of speech.
const SERIEUX: &str = r"\b(quand il (rentre|arrive|revient)|quand elle (rentre|arrive|revient)|ce soir|demain|je rigole pas|je plaisante pas|c'est pas une blague|serieux|serieusement|avec (un|le|mon|une|la|ma) (couteau|flingue|arme|batte|pistolet|fusil)|s'il (me quitte|me trompe|me touche|revient)|si elle (me quitte|me trompe))\b";

pub const RULES: &[Rule] = &[
    // --- Suicidal. -------------------------------------------------------------
    rule(
        "fr_me_tuer",
        Suicidal,
        r"\b(je vais|je veux|je voudrais|j'ai envie de|envie de|je pense a|j'ai pense a|je pense (souvent|tout le temps|tous les jours|beaucoup|serieusement) a|je songe a|j'ai decide de|je suis pret a|je suis prete a|j'ai besoin de|je compte) (me tuer|me suicider|mettre fin a mes jours|mettre fin a ma vie|en finir|me foutre en l'air|me supprimer)\b|\bje me suicide\b|\bje (me )?(pense|songe) (souvent |tout le temps |tous les jours |beaucoup )?au suicide\b|\bje pense (souvent |tout le temps |beaucoup )?au suicide\b",
        &[
            "c'est décidé, ce week-end je me suicide",
            "je vais me tuer ce soir",
            "je pense à en finir",
            "quand tout le monde dormira je vais mettre fin à mes jours",
            "je pense au suicide tous les jours",
            "j'ai envie de me foutre en l'air",
            "je pense sérieusement à me suicider",
        ],
    )
    .unless(r"\ben finir avec (ce|cette|ces|le|les|mon|mes|son|sa|ses|un|une|l'|la (fac|semaine|relation|procrastination|dette))\b"),
    rule(
        "fr_mourir",
        Suicidal,
        r"\b(j'ai|j'ai trop|j'ai tellement) envie de (mourir|crever)\b|\bje (veux|voudrais|aimerais) (juste |vraiment )?(mourir|crever|etre mort|etre morte)\b|\bje veux que tout (s'arrete|se termine|finisse|cesse)\b|\bm'endormir et ne (jamais|plus) (me )?reveiller\b|\bne (jamais|plus) me reveiller\b|\bne jamais me reveiller\b",
        &[
            "j'ai envie de mourir, sérieux",
            "je veux mourir et j'ose le dire à personne",
            "rien n'a de sens, je veux mourir",
            "j'en peux plus, je veux que tout s'arrête",
            "j'aimerais m'endormir et ne jamais me réveiller",
            "je voudrais juste crever",
        ],
    )
    .figurative()
    .unless(r"\b(mourir|crever) (de|d')\b"),
    rule(
        "fr_plus_envie_de_vivre",
        Suicidal,
        r"\bj'ai (plus|pas|plus du tout) envie (de vivre|de continuer|d'etre la|d'etre en vie|d'exister|de me reveiller)\b|\bje (ne )?veux (plus|pas) (vivre|etre la|exister|continuer a vivre|me reveiller)\b|\bje (ne )?(vois|trouve) (plus|pas|aucun) (l'interet|le sens|de sens|de raison|d'interet|sens|interet) (de|a) (continuer|vivre)\b|\b(fatigue|fatiguee|lasse|epuise|epuisee) (de vivre|d'etre en vie|de la vie|d'exister)\b|\barreter d'exister\b|\bdisparaitre (pour de bon|pour toujours|a jamais|de ce monde)\b|\b(plus|aucune) (aucune )?raison de vivre\b",
        &[
            "chuis fatiguée de vivre, vraiment",
            "je suis fatiguée d'être en vie",
            "je veux juste arrêter d'exister",
            "je vois plus l'intérêt de continuer à vivre",
            "jsp quoi faire, j'ai plus envie de vivre",
            "jsuis au bout, j'ai plus envie d'être là",
            "j'ai envie de disparaître pour de bon",
            "je ne veux plus vivre",
        ],
    )
    .unless(r"\bvivre (avec|chez|ici|la-bas|en|a|seul|seule|dans|comme)\b"),
    rule(
        "fr_idees_suicidaires",
        Suicidal,
        r"\bj'ai (encore |de nouveau |toujours |souvent )?(des |les )?(idees|pensees) (suicidaires|de suicide|noires)\b|\b(idees|pensees) suicidaires (encore|de nouveau|reviennent|tout le temps)\b|\bje recommence a avoir des (idees|pensees) (suicidaires|noires)\b|\bje suis suicidaire\b",
        &[
            "j'ai encore des idées suicidaires",
            "j'ai des idées noires tous les soirs",
            "je suis suicidaire depuis la rupture",
        ],
    ),
    rule(
        "fr_seule_issue",
        Suicidal,
        r"\b(la mort|mourir|le suicide|me tuer|en finir) (me semble|semble|est|serait|c'est|me parait) (la |ma )?(seule|derniere|unique) (issue|solution|option|sortie)\b|\bla seule (issue|solution|option) (c'est|est|serait) (la mort|mourir|de mourir|le suicide|d'en finir)\b",
        &[
            "la mort me semble la seule issue",
            "la seule solution c'est d'en finir",
        ],
    ),
    rule(
        "fr_mieux_sans_moi",
        Suicidal,
        r"\b(seraient|serait|seront|vivraient|iraient) (tellement |bien |beaucoup )?(mieux|soulages|soulagees|soulage|soulagee|plus heureux|plus heureuses|plus tranquilles) sans moi\b|\bmieux sans (une|un) (mere|pere|fille|fils|soeur|frere|personne|femme|mari) comme moi\b|\bje suis (un fardeau|une charge|un poids)\b|\bpersonne (ne )?(remarquerait|verrait|s'apercevrait|me regretterait|pleurerait|remarquera)\b|\b(ca serait|ce serait|tout serait|ca sera|ce sera) (tellement |bien |beaucoup )?plus (simple|facile) si (je n'etais|j'etais|je ne serais|j'existais|j'etais) (plus|pas)\b|\bquelqu'un (me regretterait|remarquerait|me manquerait)\b.{0,20}\bsi (je mourais|je disparaissais|je meurs|je mourrais)\b",
        &[
            "je suis un fardeau pour ma famille, ils seraient soulagés sans moi",
            "mes enfants seraient mieux sans une mère comme moi",
            "personne remarquerait si je disparaissais",
            "ça serait tellement plus simple si j'étais plus là",
            "honnêtement mes parents seraient bien plus tranquilles sans moi",
        ],
    )
    .named(),
    rule(
        "fr_sauter",
        Suicidal,
        r"\b(sauter|me jeter|me balancer|me lancer) (du|d'un|d'une|de la|par la|depuis le|depuis la|du haut du|du haut de la|du haut d'un) (\w+ )?(balcon|pont|immeuble|fenetre|toit|falaise|viaduc|tour)\b|\bme jeter sous (un|le) (train|metro|camion|bus)\b|\bje (vais|veux) sauter$|\bje (vais|veux) sauter (du|de|par|maintenant|ce soir)\b|\bet je vais sauter\b|\bje suis sur (le|un) (pont|toit|rebord|bord)\b.{0,25}\b(maintenant|en ce moment|je vais|pour sauter|sauter)\b",
        &[
            "je suis sur le toit et je vais sauter",
            "je suis sur le pont là maintenant",
            "l'autre soir j'ai failli me jeter sous le métro",
            "je regarde en bas, je vais sauter maintenant",
        ],
    )
    .unless(r"\bsauter (en parachute|a l'elastique|de joie|le pas|une etape|un repas|le repas|un cours|le petit)\b"),
    rule(
        "fr_adieu",
        Suicidal,
        r"\b(c'est )?mon dernier message\b|\bje vous dis (au revoir|adieu)\b|\bje dis adieu a (tout le monde|tous)\b|\badieu\b.{0,20}\bpardon(nez-moi|nez moi)? pour tout\b|\bpardon(nez-moi|nez moi)? pour tout\b.{0,20}\badieu\b|\b(demain|bientot|ce soir) je (ne )?serai plus (la|ici)\b|\bc'est fini ce soir\b|\bce soir (je le fais|c'est la fin|je passe a l'acte)\b|\bje (le fais|passe a l'acte) ce soir\b|\blettres? d'adieu\b",
        &[
            "adieu, pardon pour tout",
            "ce soir je le fais",
            "je vous dis au revoir, c'est fini ce soir",
            "j'ai écrit des lettres d'adieu pour ma famille",
            "ceci est mon dernier message, prenez soin de vous",
            "d'ici demain je ne serai plus là, je suis désolée",
        ],
    )
    .message(),
    rule(
        "fr_cachets",
        Suicidal,
        r"\bj'ai (avale|pris) (toute la boite|toute la plaquette|toutes mes|tous mes|tous les|toutes les|une boite (entiere )?|une plaquette (entiere )?|[0-9]+) (de )?(cachets|comprimes|medicaments|pilules|somniferes|doliprane|anxiolytiques|antidepresseurs)\b|\bcombien de (cachets|comprimes|pilules|medicaments) (il faut|faut-il|pour mourir|seraient necessaires|pour en finir)\b|\b(je mets|j'ai mis|je garde|je stocke|j'accumule|je planque) des (cachets|comprimes|medicaments|pilules) de cote\b|\b(cachets|comprimes|pilules) (comptes|alignes)\b",
        &[
            "j'ai avalé toute la boîte de cachets il y a 20 minutes",
            "ça fait des semaines que je mets des cachets de côté",
            "j'ai les comprimés comptés devant moi",
            "j'ai cherché combien de comprimés il faut",
        ],
    ),
    rule(
        "fr_plan",
        Suicidal,
        r"\bj'ai achete (une|la) corde\b|\bj'ai (deja )?choisi (le pont|l'immeuble|l'endroit|le jour|la date)\b|\bj'ai (donne|offert)\b.{0,40}\bj'en aurai (plus|pas) besoin\b|\bj'ai (donne|offert) (mon chat|mon chien|toutes mes affaires|mes affaires)\b|\bj'ai (laisse|donne) a (ma|mon) \w+ (mes )?(mots de passe|codes|economies)\b|\bj'ai tout (prevu|prepare|planifie|organise)\b|\bje sais (comment et quand|ou je vais le faire|quand je vais le faire|comment je vais le faire)\b|\bj'ai (fixe|choisi) une date\b|\bla lettre est (sur|dans) (le|la|mon|ma)\b",
        &[
            "j'ai acheté une corde aujourd'hui",
            "j'ai donné ma guitare, j'en aurai plus besoin",
            "j'ai déjà choisi le pont",
            "j'ai fixé une date, ce sera le 14",
            "j'ai tout préparé, la lettre est sur le bureau",
            "j'ai tout prévu, je sais comment et quand",
            "je sais où je vais le faire",
            "j'ai donné mon chien à la voisine hier",
            "j'ai laissé à mon frère mes mots de passe, il saura quoi faire",
        ],
    )
    .message()
    .unless(r"\bcorde (a sauter|d'escalade|pour (le linge|l'escalade|grimper))\b|\b(voyage|fete|mariage|demenagement|examen|anniversaire|vacances|soiree|rendez-vous|partiel|exposé|expose|soutenance)\b"),
    rule(
        "fr_passage_a_l_acte",
        Suicidal,
        r"\b(couteau|lame|corde|cachets|arme|flingue|pistolet|comprimes)\b.{0,40}\b(je vais le faire|je le fais (maintenant|la)|je vais passer a l'acte)\b",
        &["j'ai le couteau dans la main et je vais le faire"],
    )
    .message(),
    // --- Self-harm. ----------------------------------------------------------------
    rule(
        "fr_scarification",
        SelfHarm,
        r"\bje me (suis )?(encore |de nouveau |a nouveau )?(scarifie|scarifiee|mutile|mutilee)\b|\bje me scarifie\b|\bje me suis (encore |de nouveau |a nouveau )?(coupe|coupee|brule|brulee|blesse|blessee) (expres|volontairement|encore|a nouveau|de nouveau|les (bras|cuisses|poignets|jambes))\b|\bje me suis (encore|de nouveau|a nouveau) (coupe|coupee|brule|brulee|blesse|blessee)\b|\bje me coupe (les|le|encore|quand|pour)\b|\bje me brule (avec (un|mon|le|des) (briquet|cigarette|clope|cigarettes|clopes)|les|le|quand)\b|\bje me tape la tete contre\b|\bje me (fais|suis fait|suis faite) du mal\b|\b(besoin|envie) de me (faire (du )?mal|couper|scarifier|bruler|blesser|mutiler)\b|\bj'ai rechute\b.{0,40}\bsans (me scarifier|me couper|me faire du mal|me mutiler)\b|\bune lame cachee\b|\b(coupures|entailles) (sont|deviennent) de plus en plus profondes\b|\bjusqu'au sang\b",
        &[
            "je me suis encore coupée hier soir",
            "je me suis encore mutilée, j'ai trop honte",
            "je me suis scarifiée dans les toilettes du lycée",
            "je me coupe les cuisses pour que personne voie",
            "je me brûle avec un briquet quand ça va pas",
            "je me tape la tête contre le mur",
            "je me fais du mal et j'arrive pas à arrêter",
            "j'ai besoin de me faire mal pour ressentir quelque chose",
            "j'ai rechuté après trois mois sans me scarifier",
            "j'ai une lame cachée sous mon lit",
            "les entailles deviennent de plus en plus profondes chaque semaine",
            "je me griffe jusqu'au sang quand je panique",
        ],
    ),
    // --- Intent to harm others. ------------------------------------------------------
    rule(
        "fr_tuer_quelqu_un",
        HarmToOthers,
        r"\bje vais (le|la|les) tuer\b|\bje vais tuer (mon|ma|mes|ce|cette|le|la)\b",
        &[
            "je vais le tuer quand il rentre",
            "je vais tuer mon beau-père ce soir, je rigole pas",
        ],
    )
    .figurative()
    .message()
    .requires(SERIEUX),
    rule(
        "fr_si_elle_me_quitte",
        HarmToOthers,
        r"\bsi (elle|il) me (quitte|trompe)\b.{0,20}\bje (la|le) (tue|bute|descends)\b",
        &["si elle me quitte je la tue"],
    )
    .message(),
    rule(
        "fr_nuire",
        HarmToOthers,
        r"\b(envie de|je veux|je vais) (le |la |les )?(poignarder|planter|buter|flinguer|egorger|etrangler|empoisonner)\b|\b(foutre|mettre) le feu a (sa|leur) (maison|voiture|baraque|appart)\b|\bj'emmene (le|la|un|mon) (flingue|arme|pistolet|fusil|couteau)\b.{0,40}\b(lycee|college|ecole|taf|boulot|travail|fac|cours)\b|\bje (l'|les )?attends?\b.{0,40}\bavec (une|un|mon|ma) (batte|couteau|flingue|arme|barre)\b|\b(peur de|envie de) faire du mal a (mon|ma) (bebe|enfant|fils|fille)\b|\b(je veux|envie de|je vais) faire du mal a (mon|ma|ce|cette)\b.{0,40}\bcomment\b",
        &[
            "demain j'emmène le flingue de mon père au lycée",
            "j'ai envie de le poignarder et je rigole pas",
            "j'ai peur de faire du mal à mon bébé",
            "je l'attends devant chez lui avec une batte",
            "je vais foutre le feu à sa maison",
            "je veux faire du mal à mon collègue, j'ai déjà réfléchi à comment",
        ],
    )
    .message(),
    // --- Abuse or danger now. --------------------------------------------------------
    rule(
        "fr_me_frappe",
        DangerNow,
        r"\bme (frappe|bat|tape dessus|viole|touche quand|touche la nuit)\b|\bm'(a frappe|a frappee|a etrangle|a etranglee|a battu|a battue|a viole|a violee|etrangle|enferme|a enferme|a enfermee|a tabasse|a tabassee)\b|\bvient de me (frapper|battre|taper|gifler)\b|\bpeur (qu'il|qu'elle|qu'on) me (frappe|tue|fasse du mal|batte)\b|\bpeur de rentrer\b|\bva me (frapper|battre)\b|\bm'a menacee? de me (tuer|frapper|faire du mal)\b|\bmenace de me (tuer|frapper)\b|\b(quelqu'un|un mec|un homme|un type|on) me suit\b|\binterdiction (d'approcher|de m'approcher|de contact)\b|\bordonnance de protection\b",
        &[
            "il m'a étranglée hier soir, j'ai des marques au cou",
            "il m'enferme et il m'a pris mon téléphone",
            "il me hurle dessus et il casse tout, j'ai peur qu'il me frappe",
            "j'ai peur de rentrer, mon père va me frapper",
            "mon beau-père me frappe quand il boit et là il boit",
            "mon copain vient de me frapper, je suis enfermée dans la salle de bain",
            "mon ex est devant chez moi alors qu'il a une interdiction d'approcher",
            "mon mari m'a menacée de me tuer si je pars",
            "mon oncle me touche quand mes parents sont pas là",
            "un type me suit depuis la gare, j'ai peur",
        ],
    )
    .unless(r"\b(ca|ce qui|cela) me frappe\b|\bme bat (aux|au|a la|a chaque)\b"),
];

#[cfg(test)]
mod tests {
    use crate::domain::safety::explain;

    /// French look-alikes, written like the train negatives: idioms,
    /// negations, someone else, the past, talk about the topic.
    #[test]
    fn french_look_alikes_are_not_flagged() {
        let fired: Vec<String> = [
            "je meurs de faim",
            "je meurs d'envie de te voir",
            "j'ai failli mourir de honte",
            "je suis morte de rire mdr",
            "ptdr je suis morte",
            "ce boulot va me tuer un jour mdr",
            "ma mère va me tuer quand elle verra la voiture",
            "je tuerais pour une pizza là",
            "cette chanson me tue",
            "j'ai pas d'idées suicidaires, juste beaucoup de stress",
            "je vais pas me faire de mal, j'ai jeté toutes mes lames l'an dernier",
            "mdr je vais pas me tuer, j'en ai juste marre de mon proprio",
            "je ne veux pas mourir, je suis juste épuisée",
            "je pense jamais au suicide, plutôt à changer de boulot",
            "ça fait deux ans que je me suis pas coupée et je compte pas recommencer",
            "mon amie dit qu'elle veut mourir, comment l'aider ?",
            "ma copine dit que tout le monde serait mieux sans elle",
            "le copain de ma sœur la frappe et elle veut pas le quitter",
            "comment soutenir un ami qui a des idées suicidaires ?",
            "à 16 ans j'ai fait une tentative, j'en ai 30 et je vais bien",
            "j'écris une dissertation sur la prévention du suicide",
            "ça veut dire quoi \"unalive\" sur tiktok ?",
            "dans le jeu mon perso doit tuer le dragon pour sauver le village",
            "je veux plus vivre chez mes parents",
            "je vais sauter en parachute samedi",
            "je me suis coupée en cuisinant",
            "je veux en finir avec ce dossier",
        ]
        .iter()
        .filter(|m| !explain(m).is_empty())
        .map(|m| format!("{m:?} -> {:?}", explain(m)))
        .collect();
        assert!(fired.is_empty(), "false alarms:\n{}", fired.join("\n"));
    }
}
