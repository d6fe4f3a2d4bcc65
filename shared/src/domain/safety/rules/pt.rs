//! Portuguese cues, written from the Portuguese rows of
//! data/safety/train.jsonl and common phrasing (Brazil first, Portugal
//! too). Prepared text has no accents or cedilla: "nao" for "não", "to"
//! for "tô", "e" for "é", "faca" for "faca" and "faça". First-person forms
//! ("quero morrer", "me cortei") keep third-person talk ("quer morrer",
//! "se corta") out; `guards` sets aside negations ("não", "nunca"), the
//! past ("há anos", "aos 16"), someone else and laughter ("kkkk"). In
//! Portuguese "no" is "in the" ("tô no telhado"), which `guards` knows.

use super::{Rule, rule};
use crate::domain::safety::CrisisCategory::{DangerNow, HarmToOthers, SelfHarm, Suicidal};

/// What makes "vou matar ele" more than a figure of speech.
const SERIO: &str = r"\b(quando (ele|ela) (chegar|voltar|entrar)|hoje a noite|essa noite|amanha|to falando serio|nao e brincadeira|e serio|com (uma|a|o|um|minha|meu) (faca|arma|revolver|taco|pistola)|se (ela|ele) me (deixar|trair|largar))\b";

pub const RULES: &[Rule] = &[
    // --- Suicidal. -------------------------------------------------------------
    rule(
        "pt_me_matar",
        Suicidal,
        r"\b(vou|quero|queria|penso em|pensando em|pensei em|vontade de|decidi|preciso|tentar|tentei|a ponto de|pronto pra|pronta pra) (me matar|me suicidar|tirar (a )?minha (propria )?vida|acabar com (a )?minha vida|acabar com tudo)\b|\beu me mato\b|\bme mato (hoje|amanha|essa noite|hoje a noite|esse fim de semana|nesse fim de semana)\b|\bvou tirar minha vida\b|\bpenso (muito |sempre |todo dia |todos os dias |direto )?em (suicidio|me matar)\b|\b(to|estou|tou) pensando em (suicidio|me matar|acabar com tudo)\b",
        &[
            "penso em me matar todos os dias",
            "tô com vontade de me matar",
            "decidi, nesse fim de semana eu me mato",
            "vou me matar hoje",
            "quando todo mundo dormir eu vou tirar minha vida",
            "ando pensando em acabar com tudo, comigo",
            "tô pensando em suicídio de novo",
        ],
    ),
    rule(
        "pt_quero_morrer",
        Suicidal,
        r"\b(eu )?(quero|queria) (muito |tanto |so )?morrer\b|\bquero (estar )?mort[oa]\b|\bquero que tudo (acabe|termine|pare)\b|\bqueria (dormir e )?nao acordar (mais|nunca mais|amanha)\b|\bdormir e nao acordar( mais)?\b|\bnunca mais acordar\b",
        &[
            "mds eu não aguento mais, quero morrer",
            "quero morrer, sério",
            "não aguento mais, quero que tudo acabe",
            "queria dormir e não acordar mais",
        ],
    )
    .figurative()
    .unless(r"\bmorrer de\b"),
    rule(
        "pt_nao_quero_viver",
        Suicidal,
        r"\bnao quero mais (viver|estar aqui|existir|acordar|estar viv[oa])\b|\bnao quero (viver|existir|estar aqui) mais\b|\bnao (vejo|encontro|tem) (mais )?sentido em (continuar|viver|seguir)( vivendo| aqui)?\b|\b(quero|queria|so queria|vontade de) (sumir|desaparecer) (pra|para) sempre\b|\bdeixar de existir\b|\bcansad[oa] de (viver|estar viv[oa]|existir|tudo isso e da vida)\b|\bnao tenho (mais )?(motivo|razao|razoes|motivos|vontade) (pra|para|de) viver\b",
        &[
            "não quero mais viver",
            "não vejo sentido em continuar vivendo",
            "quero sumir pra sempre",
            "só queria deixar de existir",
            "to no limite, nao quero mais estar aqui",
            "tô cansada de estar viva",
            "não tenho mais motivo pra viver",
        ],
    )
    .unless(r"\bviver (com|na|no|em|aqui|sozinh[oa]|assim)\b"),
    rule(
        "pt_pensamentos",
        Suicidal,
        r"\b(tenho|tendo|voltei a ter|com) (uns |muitos )?pensamentos (suicidas|de morte|de me matar)\b|\bpensamentos suicidas (de novo|outra vez|voltaram)\b",
        &["voltei a ter pensamentos suicidas", "tô tendo pensamentos suicidas"],
    ),
    rule(
        "pt_unica_saida",
        Suicidal,
        r"\b(a morte|morrer|o suicidio|me matar)\b.{0,20}\b(unica|ultima) (saida|solucao|opcao)\b|\b(unica|ultima) (saida|solucao) (e|seria) (morrer|a morte|me matar|o suicidio)\b",
        &[
            "pra mim a morte virou a única opção",
            "sinto que a última saída seria me matar",
        ],
    ),
    rule(
        "pt_melhor_sem_mim",
        Suicidal,
        r"\b(ficaria|ficariam|estaria|estariam|seria|seriam|viveriam|iam ficar|vao ficar) (muito |bem |tao )?(melhor|melhores|aliviad[oa]s?|mais felizes) sem mim\b|\bmelhor sem (uma|um) (mae|pai|filh[oa]|irma|irmao|pessoa) como eu\b|\bsou (um|uma) (peso|fardo)\b|\bninguem (ia|iria|vai) (notar|perceber|sentir (a )?minha falta|sentir falta)\b|\balguem (sentiria|ia sentir) (a )?minha falta se eu (morresse|sumisse)\b|\b(seria|ia ser) (tudo )?(muito |bem |tao )?mais (facil|simples) se eu nao (estivesse|existisse)( mais)?\b",
        &[
            "meus filhos estariam melhor sem uma mãe como eu",
            "ninguém ia notar se eu sumisse",
            "sou um peso pra minha família, eles iam ficar aliviados sem mim",
            "todo mundo ficaria melhor sem mim",
            "vc acha que alguém sentiria minha falta se eu morresse? pq eu acho que não, e tô pensando nisso sério",
            "seria tudo mais fácil se eu não estivesse mais aqui",
        ],
    )
    .named(),
    rule(
        "pt_pular",
        Suicidal,
        r"\b(pular|me jogar|me atirar) (da|do|de um|de uma|pela|desse|dessa|de cima da|de cima do) (\w+ )?(janela|ponte|predio|sacada|varanda|telhado|viaduto|penhasco|laje)\b|\bme jogar na frente (do|de um) (trem|metro|onibus|carro|caminhao)\b|\b(vou|quero) pular$|\b(e|eu) vou pular\b|\b(to|estou|tou) (no|na|em cima d[oa]) (telhado|ponte|beirada|parapeito|viaduto|laje)\b.{0,25}\b(agora|e vou|pra pular|pular)\b",
        &[
            "às vezes penso em pular da janela",
            "tô na ponte agora",
            "tô no telhado e vou pular",
            "quero me jogar na frente do trem",
        ],
    )
    .unless(r"\bpular (o|a|os|as|essa|esse|de paraquedas|de alegria|carnaval|corda|na piscina|no mar|na agua)\b"),
    rule(
        "pt_despedida",
        Suicidal,
        r"\bminha ultima mensagem\b|\b(to|estou|tou) me despedindo de (todo mundo|todos|voces)\b|\bme despeco de (todo mundo|todos|voces)\b|\bamanha (eu )?(ja )?nao vou (mais )?estar (mais )?aqui\b|\b(hoje|essa noite|hoje a noite) (eu )?(faco|vou fazer)( isso)?$|\bcartas? de despedida\b|\badeus\b.{0,20}\b(desculp\w*|perdao) por tudo\b|\b(desculp\w*|perdao) por tudo\b.{0,20}\badeus\b",
        &[
            "essa é minha última mensagem, obrigado por tudo",
            "tô me despedindo de todo mundo, hoje acaba",
            "amanhã eu não vou mais estar aqui",
            "escrevi cartas de despedida pra minha família",
            "decidi que essa noite eu faço isso",
            "adeus gente, perdão por tudo",
        ],
    )
    .message(),
    rule(
        "pt_comprimidos",
        Suicidal,
        r"\b(tomei|engoli|vou tomar) (todos os|todas as|a cartela (toda|inteira)|uma cartela|a caixa (toda|inteira)|uma caixa|um monte de|[0-9]+) (de )?(meus |minhas )?(comprimidos|remedios|pilulas|calmantes|remedio)\b|\bquantos (comprimidos|remedios) (seriam|sao|e) (necessarios|preciso|fatais|pra morrer)\b|\b(juntando|guardando|escondendo) (comprimidos|remedios)\b|\b(comprimidos|remedios) (tao |estao )?contados\b",
        &[
            "tomei todos os comprimidos faz uns 20 minutos",
            "pesquisei quantos comprimidos seriam necessários",
            "os comprimidos tão contados aqui na minha frente",
            "tô escondendo remédios no armário há um mês",
        ],
    ),
    rule(
        "pt_plano",
        Suicidal,
        r"\bcomprei (uma|a) corda\b|\bja escolhi (a ponte|o predio|o lugar|o dia)\b|\b(dei|doei)\b.{0,40}\bnao vou (mais )?precisar\b|\b(dei|doei) (meu|minha|meus|minhas) (gato|gata|cachorro|coisas|violao|guitarra)\b|\bja planejei tudo\b|\bsei como e quando\b|\bja sei onde (vou fazer|fazer)\b|\bmarquei (uma|a) data\b|\bdeixei (pra|para) (minha|meu) \w+ (minhas )?(senhas|economias)\b",
        &[
            "comprei uma corda hoje",
            "dei meu violão, não vou mais precisar",
            "doei meu gato e minhas coisas essa semana",
            "já escolhi a ponte",
            "já planejei tudo, sei como e quando",
            "já sei onde vou fazer",
            "marquei uma data, vai ser dia 14",
            "deixei para meu primo minhas senhas do banco",
        ],
    )
    .named()
    .message()
    .unless(r"\bcorda (de pular|pra pular|de varal|pra escalar)\b|\b(casamento|viagem|festa|consulta|prova|entrevista|mudanca|reuniao|aniversario|ferias)\b"),
    rule(
        "pt_agora",
        Suicidal,
        r"\b(faca|lamina|corda|arma|revolver|comprimidos)\b.{0,40}\b(vou fazer( isso)?( agora)?|faco agora)$",
        &["tô com a faca na mão e vou fazer"],
    )
    .message(),
    // --- Self-harm. ----------------------------------------------------------------
    rule(
        "pt_autolesao",
        SelfHarm,
        r"\bme cortei (de novo|outra vez|hoje|ontem|de proposito)\b|\bme corto (de novo|toda|quando|os|as|pra)\b|\bme machuquei de proposito\b|\b(to|estou|tou) me (machucando|cortando|ferindo|mutilando)\b|\b(preciso|quero|vontade de) (me machucar|me cortar|me ferir)\b|\bos cortes (tao|estao) (cada vez )?mais fundos\b|\bbato (a|minha) cabeca na parede\b|\bme queimo com\b|\b(lamina|gilete)\b.{0,15}\bescondida\b|\brecaida\b.{0,40}\bsem me (cortar|machucar)\b|\b(me arranho|me coco|me corto) ate sangrar\b",
        &[
            "me cortei de novo ontem à noite",
            "me machuquei de propósito no banheiro da escola",
            "me queimo com isqueiro quando fico assim",
            "os cortes tão cada vez mais fundos",
            "preciso me machucar pra sentir alguma coisa",
            "tenho uma lâmina escondida embaixo da cama",
            "tive uma recaída depois de três meses sem me cortar",
            "tô com muita vontade de me cortar agora",
            "tô me machucando e não consigo parar",
            "bato a cabeça na parede",
            "me corto as coxas pra ninguém ver",
        ],
    ),
    // --- Intent to harm others. ------------------------------------------------------
    rule(
        "pt_matar_alguem",
        HarmToOthers,
        r"\bvou matar (meu|minha|o|a|esse|essa|ele|ela)\b|\b(eu )?(mato|vou matar) (ele|ela)\b",
        &[
            "vou matar meu padrasto quando ele chegar",
            "se ela me deixar eu mato ela",
        ],
    )
    .figurative()
    .message()
    .requires(SERIO)
    .unless(r"\bmatar (a saudade|a fome|a sede|o tempo|tempo|aula|a aula|a curiosidade)\b"),
    rule(
        "pt_machucar_outros",
        HarmToOthers,
        r"\b(quero|vou|vontade de) (machucar|esfaquear|furar|bater n)\w* (meu|minha|o|a|esse|essa)\b.{0,40}\b(ja pensei|ja sei) (em )?como\b|\bmedo de machucar (meu|minha) (bebe|filh[oa]|nenem)\b|\blevar (a|uma|o) (arma|revolver|faca|pistola)\b.{0,30}\b(escola|colegio|trabalho|faculdade|aula)\b|\besperando (ele|ela)\b.{0,40}\bcom (um|uma) (taco|faca|arma|revolver|pedaco de pau|barra)\b|\b(tocar|botar|por) fogo na casa (dele|dela)\b|\b(quero|vou|vontade de) (esfaquear|furar|dar um tiro n)\w*\b",
        &[
            "amanhã vou levar a arma do meu pai pra escola",
            "quero machucar meu colega de trabalho, já pensei em como",
            "tenho medo de machucar meu bebê",
            "tô esperando ele na frente da casa dele com um taco",
            "vou tocar fogo na casa dele",
        ],
    )
    .message(),
    // --- Abuse or danger now. --------------------------------------------------------
    rule(
        "pt_me_bate",
        DangerNow,
        r"\bme (bate|bateu|enforcou|enforca|estrangulou|esganou|estupra|estuprou|tranca|trancou|agride|agrediu|espanca|espancou)\b|\bacabou de me (bater|agredir|enforcar)\b|\bvai me (bater|espancar)\b|\bmedo de (voltar|ir) (pra|para) casa\b|\bmedo (dele|dela|de que ele|de que ela) me (bater|machucar|matar|bata|machuque|mate)\b|\bameacou (me matar|me bater)\b|\bme toca quando\b|\b(alguem|um cara|um homem|um cara estranho) (ta |esta )?me (seguindo|perseguindo)\b|\bmedida protetiva\b|\b(to|estou) trancad[ao] no (banheiro|quarto)\b",
        &[
            "ele me enforcou ontem à noite, tô com marcas no pescoço",
            "ele tá gritando e quebrando tudo, tô com medo dele me bater",
            "meu ex tá na frente da minha casa e tem medida protetiva contra ele",
            "meu marido ameaçou me matar se eu for embora",
            "meu namorado acabou de me bater e eu tô trancada no banheiro",
            "meu padrasto me bate quando bebe e ele tá bebendo agora",
            "meu tio me toca quando meus pais não estão",
            "tem alguém me seguindo e eu tô sozinha na rua",
            "tenho medo de voltar pra casa, meu pai vai me bater",
        ],
    )
    .unless(r"\bme bate (uma|um) (saudade|vontade|tristeza|fome|sono|preguica|ansiedade|bad|desanimo)\b"),
];

#[cfg(test)]
mod tests {
    use crate::domain::safety::explain;

    /// Portuguese look-alikes, written like the train negatives: idioms,
    /// negations, someone else, the past, talk about the topic.
    #[test]
    fn portuguese_look_alikes_are_not_flagged() {
        let fired: Vec<String> = [
            "tô morrendo de rir kkkkk",
            "tô morrendo de fome",
            "quase morri de vergonha, chamei a professora de mãe",
            "kkkkkk morri",
            "esse calor tá me matando",
            "minha mãe vai me matar quando vir o carro",
            "essa prova me matou",
            "eu mataria por uma pizza agora",
            "não quero morrer, só tô exausta",
            "não tenho pensamentos suicidas, só muito estresse",
            "não vou me cortar, joguei fora todas as lâminas ano passado",
            "faz dois anos que não me corto e não vou voltar",
            "eu nunca me machucaria, só preciso desabafar",
            "nunca penso em suicídio, penso em mudar de emprego",
            "não quero acabar com a minha vida, quero acabar o semestre",
            "minha amiga disse que quer morrer, como eu ajudo ela?",
            "minha amiga fala \"vou me matar\" toda vez que erra no jogo, é só jeito de falar",
            "meu irmão me contou que se corta, o que eu faço?",
            "o namorado da minha irmã bate nela e ela não quer largar ele",
            "aos 16 tentei me matar, hoje tenho 30 e tô bem",
            "eu me cortava no ensino médio mas faz seis anos que parei",
            "tô escrevendo uma redação sobre prevenção do suicídio",
            "o que significa \"unalive\" no tiktok?",
            "no jogo meu personagem tem que matar o dragão pra salvar a vila",
            "não quero viver com meus pais até os 40, socorro",
            "acho que vou pular o almoço de novo hoje",
            "me bate uma saudade enorme da vó nos domingos",
        ]
        .iter()
        .filter(|m| !explain(m).is_empty())
        .map(|m| format!("{m:?} -> {:?}", explain(m)))
        .collect();
        assert!(fired.is_empty(), "false alarms:\n{}", fired.join("\n"));
    }
}
