"""Small per-language lexicons and templates behind the synthetic demo data (``demo.py``).

The same meanings are expressed in every language (dish and service nouns, positive and
negative judgements, news topics), so a multilingual encoder trained on English transfers to
the other languages; only the surface form changes. All content is invented.

Template slots: ``{D}``/``{D2}`` determiner of the target, ``{T}``/``{T2}`` target (the span),
``{A}``/``{A2}`` adjective agreeing with the target's gender, ``{P}`` a companion phrase,
``{ITEM}`` a reviewed product, ``{TITLE}`` a title, ``{ORG}``/``{PLACE}``/``{N}`` news fillers.
"""

from __future__ import annotations

Adj = str | dict[str, str]

# --------------------------------------------------------------------------- OTE (restaurants)
# targets: (surface, gender/determiner key, category); det: gender -> determiner ("" = none).
# single/double templates; double: (template, "same"|"opposite") polarity of the 2nd target.
# null: (template, gender used for {A}) -> one NULL opinion (RESTAURANT#GENERAL).
OTE: dict[str, dict] = {
    "en": {
        "targets": [
            ("pizza", "", "FOOD#QUALITY"),
            ("pasta", "", "FOOD#QUALITY"),
            ("steak", "", "FOOD#QUALITY"),
            ("sushi", "", "FOOD#QUALITY"),
            ("fish soup", "", "FOOD#QUALITY"),
            ("chocolate cake", "", "FOOD#QUALITY"),
            ("wine", "", "DRINKS#QUALITY"),
            ("coffee", "", "DRINKS#QUALITY"),
            ("service", "", "SERVICE#GENERAL"),
            ("waiter", "", "SERVICE#GENERAL"),
            ("staff", "", "SERVICE#GENERAL"),
            ("atmosphere", "", "AMBIENCE#GENERAL"),
            ("terrace", "", "AMBIENCE#GENERAL"),
            ("menu", "", "FOOD#STYLE_OPTIONS"),
        ],
        "det": {"": "the"},
        "pos": ["great", "excellent", "amazing", "perfect", "fantastic", "wonderful"],
        "neg": ["terrible", "awful", "bad", "disappointing", "horrible", "mediocre"],
        "people": ["my wife", "some friends", "my parents", "two colleagues"],
        "single": [
            "{D} {T} was {A}.",
            "We came with {P} and {D} {T} was {A}.",
            "Honestly, {D} {T} was {A}.",
            "I think {D} {T} here is {A}.",
            "{D} {T} was really {A} tonight.",
        ],
        "double": [
            ("{D} {T} was {A}, but {D2} {T2} was {A2}.", "opposite"),
            ("{D} {T} was {A} and so was {D2} {T2}.", "same"),
        ],
        "null": [("Everything was {A}.", ""), ("Overall the evening was {A}.", "")],
        "none": [
            "We went there with {P} last Friday.",
            "I booked a table for eight o'clock.",
            "The restaurant is close to the station.",
        ],
    },
    "es": {
        "targets": [
            ("pizza", "f", "FOOD#QUALITY"),
            ("pasta", "f", "FOOD#QUALITY"),
            ("filete", "m", "FOOD#QUALITY"),
            ("sushi", "m", "FOOD#QUALITY"),
            ("sopa de pescado", "f", "FOOD#QUALITY"),
            ("tarta de chocolate", "f", "FOOD#QUALITY"),
            ("vino", "m", "DRINKS#QUALITY"),
            ("café", "m", "DRINKS#QUALITY"),
            ("servicio", "m", "SERVICE#GENERAL"),
            ("camarero", "m", "SERVICE#GENERAL"),
            ("personal", "m", "SERVICE#GENERAL"),
            ("ambiente", "m", "AMBIENCE#GENERAL"),
            ("terraza", "f", "AMBIENCE#GENERAL"),
            ("carta", "f", "FOOD#STYLE_OPTIONS"),
        ],
        "det": {"m": "el", "f": "la"},
        "pos": [
            "excelente",
            {"m": "estupendo", "f": "estupenda"},
            {"m": "buenísimo", "f": "buenísima"},
            {"m": "perfecto", "f": "perfecta"},
            {"m": "fantástico", "f": "fantástica"},
            "increíble",
        ],
        "neg": [
            "horrible",
            "terrible",
            {"m": "malísimo", "f": "malísima"},
            {"m": "pésimo", "f": "pésima"},
            "decepcionante",
            "mediocre",
        ],
        "people": ["mi mujer", "unos amigos", "mis padres", "dos compañeros"],
        "single": [
            "{D} {T} estaba {A}.",
            "Fuimos con {P} y {D} {T} estaba {A}.",
            "Sinceramente, {D} {T} estaba {A}.",
            "Creo que {D} {T} aquí es {A}.",
            "{D} {T} estuvo realmente {A} esta noche.",
        ],
        "double": [
            ("{D} {T} estaba {A}, pero {D2} {T2} estaba {A2}.", "opposite"),
            ("{D} {T} estaba {A} y {D2} {T2} también.", "same"),
        ],
        "null": [("Todo estaba {A}.", "m"), ("En general la cena fue {A}.", "f")],
        "none": [
            "Fuimos con {P} el viernes pasado.",
            "Reservamos una mesa para las ocho.",
            "El restaurante está cerca de la estación.",
        ],
    },
    "fr": {
        "targets": [
            ("pizza", "f", "FOOD#QUALITY"),
            ("steak", "m", "FOOD#QUALITY"),
            ("sushi", "m", "FOOD#QUALITY"),
            ("soupe de poisson", "f", "FOOD#QUALITY"),
            ("gâteau au chocolat", "m", "FOOD#QUALITY"),
            ("vin", "m", "DRINKS#QUALITY"),
            ("café", "m", "DRINKS#QUALITY"),
            ("service", "m", "SERVICE#GENERAL"),
            ("serveur", "m", "SERVICE#GENERAL"),
            ("personnel", "m", "SERVICE#GENERAL"),
            ("ambiance", "fv", "AMBIENCE#GENERAL"),
            ("terrasse", "f", "AMBIENCE#GENERAL"),
            ("carte", "f", "FOOD#STYLE_OPTIONS"),
            ("accueil", "mv", "SERVICE#GENERAL"),
        ],
        "det": {"m": "le ", "f": "la ", "mv": "l'", "fv": "l'"},
        "pos": [
            {"m": "excellent", "f": "excellente"},
            {"m": "parfait", "f": "parfaite"},
            "formidable",
            "super",
            {"m": "génial", "f": "géniale"},
            "magnifique",
        ],
        "neg": [
            "horrible",
            "médiocre",
            {"m": "décevant", "f": "décevante"},
            {"m": "mauvais", "f": "mauvaise"},
            "lamentable",
            "catastrophique",
        ],
        "people": ["ma femme", "des amis", "mes parents", "deux collègues"],
        "single": [
            "{D}{T} était {A}.",
            "Nous sommes venus avec {P} et {D}{T} était {A}.",
            "Franchement, {D}{T} était {A}.",
            "Je trouve que {D}{T} ici est {A}.",
            "{D}{T} était vraiment {A} ce soir.",
        ],
        "double": [
            ("{D}{T} était {A}, mais {D2}{T2} était {A2}.", "opposite"),
            ("{D}{T} était {A}, et {D2}{T2} aussi.", "same"),
        ],
        "null": [("Tout était {A}.", "m"), ("Dans l'ensemble, une soirée {A}.", "f")],
        "none": [
            "Nous y sommes allés avec {P} vendredi dernier.",
            "Nous avions réservé une table pour vingt heures.",
            "Le restaurant est près de la gare.",
        ],
    },
    "nl": {
        "targets": [
            ("pizza", "de", "FOOD#QUALITY"),
            ("pasta", "de", "FOOD#QUALITY"),
            ("biefstuk", "de", "FOOD#QUALITY"),
            ("sushi", "de", "FOOD#QUALITY"),
            ("vissoep", "de", "FOOD#QUALITY"),
            ("rode wijn", "de", "DRINKS#QUALITY"),
            ("koffie", "de", "DRINKS#QUALITY"),
            ("bediening", "de", "SERVICE#GENERAL"),
            ("ober", "de", "SERVICE#GENERAL"),
            ("personeel", "het", "SERVICE#GENERAL"),
            ("sfeer", "de", "AMBIENCE#GENERAL"),
            ("terras", "het", "AMBIENCE#GENERAL"),
            ("menukaart", "de", "FOOD#STYLE_OPTIONS"),
            ("chocoladetaart", "de", "FOOD#QUALITY"),
        ],
        "det": {"de": "de", "het": "het"},
        "pos": ["uitstekend", "geweldig", "heerlijk", "perfect", "fantastisch", "prima"],
        "neg": ["slecht", "vreselijk", "teleurstellend", "waardeloos", "matig", "belabberd"],
        "people": ["mijn vrouw", "een paar vrienden", "mijn ouders", "twee collega's"],
        "single": [
            "{D} {T} was {A}.",
            "We kwamen met {P} en {D} {T} was {A}.",
            "Eerlijk gezegd was {D} {T} {A}.",
            "Ik vind {D} {T} hier {A}.",
            "{D} {T} was echt {A} vanavond.",
        ],
        "double": [
            ("{D} {T} was {A}, maar {D2} {T2} was {A2}.", "opposite"),
            ("{D} {T} was {A} en {D2} {T2} ook.", "same"),
        ],
        "null": [("Alles was {A}.", "de"), ("Kortom: {A}!", "de")],
        "none": [
            "We gingen er vorige vrijdag heen met {P}.",
            "We hadden een tafel gereserveerd voor acht uur.",
            "Het ligt vlak bij het station.",
        ],
    },
    "de": {
        "targets": [
            ("Pizza", "f", "FOOD#QUALITY"),
            ("Pasta", "f", "FOOD#QUALITY"),
            ("Steak", "n", "FOOD#QUALITY"),
            ("Sushi", "n", "FOOD#QUALITY"),
            ("Fischsuppe", "f", "FOOD#QUALITY"),
            ("Wiener Schnitzel", "n", "FOOD#QUALITY"),
            ("Wein", "m", "DRINKS#QUALITY"),
            ("Kaffee", "m", "DRINKS#QUALITY"),
            ("Service", "m", "SERVICE#GENERAL"),
            ("Kellner", "m", "SERVICE#GENERAL"),
            ("Personal", "n", "SERVICE#GENERAL"),
            ("Atmosphäre", "f", "AMBIENCE#GENERAL"),
            ("Terrasse", "f", "AMBIENCE#GENERAL"),
            ("Speisekarte", "f", "FOOD#STYLE_OPTIONS"),
        ],
        "det": {"m": "der", "f": "die", "n": "das"},
        "pos": ["ausgezeichnet", "hervorragend", "super", "toll", "fantastisch", "großartig"],
        "neg": ["schlecht", "furchtbar", "enttäuschend", "miserabel", "schrecklich", "mies"],
        "people": ["meiner Frau", "Freunden", "meinen Eltern", "zwei Kollegen"],
        "single": [
            "{D} {T} war {A}.",
            "Wir waren mit {P} dort und {D} {T} war {A}.",
            "Ehrlich gesagt war {D} {T} {A}.",
            "Ich finde, {D} {T} ist hier {A}.",
            "{D} {T} war heute Abend wirklich {A}.",
        ],
        "double": [
            ("{D} {T} war {A}, aber {D2} {T2} war {A2}.", "opposite"),
            ("{D} {T} war {A} und {D2} {T2} auch.", "same"),
        ],
        "null": [("Alles war {A}.", "n"), ("Insgesamt einfach {A}!", "n")],
        "none": [
            "Wir waren letzten Freitag mit {P} dort.",
            "Wir hatten einen Tisch für acht Uhr reserviert.",
            "Das Lokal liegt nahe am Bahnhof.",
        ],
    },
    "ru": {
        "targets": [
            ("пицца", "f", "FOOD#QUALITY"),
            ("паста", "f", "FOOD#QUALITY"),
            ("стейк", "m", "FOOD#QUALITY"),
            ("рыбный суп", "m", "FOOD#QUALITY"),
            ("шоколадный торт", "m", "FOOD#QUALITY"),
            ("вино", "n", "DRINKS#QUALITY"),
            ("кофе", "m", "DRINKS#QUALITY"),
            ("обслуживание", "n", "SERVICE#GENERAL"),
            ("официант", "m", "SERVICE#GENERAL"),
            ("персонал", "m", "SERVICE#GENERAL"),
            ("атмосфера", "f", "AMBIENCE#GENERAL"),
            ("терраса", "f", "AMBIENCE#GENERAL"),
            ("меню", "n", "FOOD#STYLE_OPTIONS"),
            ("салат", "m", "FOOD#QUALITY"),
        ],
        "det": {"m": "", "f": "", "n": ""},
        "pos": [
            {"m": "отличный", "f": "отличная", "n": "отличное"},
            {"m": "прекрасный", "f": "прекрасная", "n": "прекрасное"},
            {"m": "замечательный", "f": "замечательная", "n": "замечательное"},
            {"m": "великолепный", "f": "великолепная", "n": "великолепное"},
        ],
        "neg": [
            {"m": "ужасный", "f": "ужасная", "n": "ужасное"},
            {"m": "плохой", "f": "плохая", "n": "плохое"},
            {"m": "отвратительный", "f": "отвратительная", "n": "отвратительное"},
            {"m": "посредственный", "f": "посредственная", "n": "посредственное"},
        ],
        "people": ["с женой", "с друзьями", "с родителями", "с коллегами"],
        "single": [
            "{T} {A}.",
            "Мы были там {P}, и {T} {A}.",
            "Честно говоря, {T} {A}.",
            "По-моему, {T} здесь {A}.",
            "{T} здесь просто {A}.",
        ],
        "double": [("{T} {A}, но {T2} {A2}.", "opposite"), ("{T} {A}, и {T2} тоже.", "same")],
        "null": [("Всё было {A}.", "n"), ("В целом вечер {A}.", "m")],
        "none": [
            "Мы ходили туда {P} в прошлую пятницу.",
            "Мы заказали столик на восемь часов.",
            "Ресторан находится рядом с вокзалом.",
        ],
    },
    "tr": {
        "targets": [
            ("pizza", "", "FOOD#QUALITY"),
            ("makarna", "", "FOOD#QUALITY"),
            ("biftek", "", "FOOD#QUALITY"),
            ("suşi", "", "FOOD#QUALITY"),
            ("balık çorbası", "", "FOOD#QUALITY"),
            ("çikolatalı pasta", "", "FOOD#QUALITY"),
            ("şarap", "", "DRINKS#QUALITY"),
            ("kahve", "", "DRINKS#QUALITY"),
            ("servis", "", "SERVICE#GENERAL"),
            ("garson", "", "SERVICE#GENERAL"),
            ("personel", "", "SERVICE#GENERAL"),
            ("ortam", "", "AMBIENCE#GENERAL"),
            ("teras", "", "AMBIENCE#GENERAL"),
            ("menü", "", "FOOD#STYLE_OPTIONS"),
        ],
        "det": {"": ""},
        "pos": ["harika", "mükemmel", "çok iyi", "nefis", "muhteşem", "şahane"],
        "neg": ["berbat", "kötü", "rezalet", "vasat", "çok kötü", "felaket"],
        "people": ["eşimle", "arkadaşlarla", "ailemle", "iş arkadaşlarımla"],
        "single": [
            "{T} {A}.",
            "{P} gittik ve {T} {A}.",
            "Açıkçası {T} {A}.",
            "Bence {T} gerçekten {A}.",
            "{T} bu akşam da {A}.",
        ],
        "double": [("{T} {A} ama {T2} {A2}.", "opposite"), ("{T} {A}, {T2} de öyle.", "same")],
        "null": [("Her şey {A}.", ""), ("Genel olarak {A} bir akşamdı.", "")],
        "none": [
            "Geçen cuma {P} oraya gittik.",
            "Saat sekiz için masa ayırttık.",
            "Restoran istasyona yakın.",
        ],
    },
}

# --------------------------------------------------------------------------- CLS (reviews)
# Whole sentences avoid agreement problems. "items" per domain fill {ITEM}; "filler" sentences
# are neutral; "mild" sentences carry a weak opposite opinion (label noise for realism).
CLS: dict[str, dict] = {
    "en": {
        "items": {
            "books": ["this book", "this novel"],
            "dvd": ["this film", "this DVD"],
            "music": ["this album", "this CD"],
        },
        "pos": [
            "I loved {ITEM}.",
            "{ITEM} is absolutely wonderful.",
            "I highly recommend {ITEM}.",
            "It is one of the best I have ever bought.",
            "Worth every penny.",
            "A real pleasure from start to finish.",
            "I will buy it again as a gift.",
            "Brilliant, moving and beautifully made.",
        ],
        "neg": [
            "I hated {ITEM}.",
            "{ITEM} is a complete waste of money.",
            "I do not recommend {ITEM} to anyone.",
            "It is one of the worst I have ever bought.",
            "Boring from start to finish.",
            "A terrible disappointment.",
            "I regret buying it and returned it.",
            "Dull, badly made and far too long.",
        ],
        "summary_pos": [
            "Wonderful!",
            "Highly recommended",
            "A masterpiece",
            "Loved it",
            "Excellent",
        ],
        "summary_neg": ["Disappointing", "Waste of money", "Avoid", "Very bad", "Boring"],
        "filler": {
            "books": [
                'I read "{TITLE}" on holiday.',
                "The author is well known.",
                "The book has about three hundred pages.",
            ],
            "dvd": [
                'I watched "{TITLE}" with my family.',
                "The film lasts two hours.",
                "The DVD arrived on time.",
            ],
            "music": [
                'I listened to "{TITLE}" in the car.',
                "The album has twelve songs.",
                "The CD came in a nice box.",
            ],
        },
        "mild_pos": ["The cover is nice, though.", "The price was fair."],
        "mild_neg": ["The delivery took a while.", "The packaging was a bit damaged."],
        "titles": ["The Silent River", "Rock & Roll Nights", "Winter Light", "Blue Harbour"],
    },
    "de": {
        "items": {
            "books": ["dieses Buch", "diesen Roman"],
            "dvd": ["diesen Film", "diese DVD"],
            "music": ["dieses Album", "diese CD"],
        },
        "pos": [
            "Ich habe {ITEM} geliebt.",
            "Ich kann {ITEM} nur empfehlen.",
            "Absolut wunderbar.",
            "Eines der besten, die ich je gekauft habe.",
            "Jeden Cent wert.",
            "Ein echtes Vergnügen von Anfang bis Ende.",
            "Ich werde es wieder als Geschenk kaufen.",
            "Brillant, bewegend und wunderschön gemacht.",
        ],
        "neg": [
            "Ich habe {ITEM} gehasst.",
            "Ich kann {ITEM} niemandem empfehlen.",
            "Eine komplette Geldverschwendung.",
            "Eines der schlechtesten, die ich je gekauft habe.",
            "Langweilig von Anfang bis Ende.",
            "Eine schreckliche Enttäuschung.",
            "Ich bereue den Kauf und habe es zurückgeschickt.",
            "Öde, schlecht gemacht und viel zu lang.",
        ],
        "summary_pos": [
            "Wunderbar!",
            "Sehr empfehlenswert",
            "Ein Meisterwerk",
            "Toll",
            "Ausgezeichnet",
        ],
        "summary_neg": [
            "Enttäuschend",
            "Geldverschwendung",
            "Finger weg",
            "Sehr schlecht",
            "Langweilig",
        ],
        "filler": {
            "books": [
                'Ich habe "{TITLE}" im Urlaub gelesen.',
                "Der Autor ist bekannt.",
                "Das Buch hat etwa dreihundert Seiten.",
            ],
            "dvd": [
                'Ich habe "{TITLE}" mit meiner Familie gesehen.',
                "Der Film dauert zwei Stunden.",
                "Die DVD kam pünktlich an.",
            ],
            "music": [
                'Ich habe "{TITLE}" im Auto gehört.',
                "Das Album hat zwölf Lieder.",
                "Die CD kam in einer schönen Box.",
            ],
        },
        "mild_pos": ["Das Cover ist allerdings schön.", "Der Preis war fair."],
        "mild_neg": ["Die Lieferung hat etwas gedauert.", "Die Verpackung war leicht beschädigt."],
        "titles": ["Der stille Fluss", "Rock & Roll Nächte", "Winterlicht", "Blauer Hafen"],
    },
    "fr": {
        "items": {
            "books": ["ce livre", "ce roman"],
            "dvd": ["ce film", "ce DVD"],
            "music": ["cet album", "ce CD"],
        },
        "pos": [
            "J'ai adoré {ITEM}.",
            "Je recommande vivement {ITEM}.",
            "Absolument merveilleux.",
            "C'est l'un des meilleurs achats de ma vie.",
            "Il vaut chaque centime.",
            "Un vrai plaisir du début à la fin.",
            "Je vais le racheter pour l'offrir.",
            "Brillant, émouvant et magnifiquement réalisé.",
        ],
        "neg": [
            "J'ai détesté {ITEM}.",
            "Je ne recommande {ITEM} à personne.",
            "Une perte d'argent totale.",
            "C'est l'un des pires achats de ma vie.",
            "Ennuyeux du début à la fin.",
            "Une terrible déception.",
            "Je regrette cet achat et je l'ai renvoyé.",
            "Plat, mal fait et beaucoup trop long.",
        ],
        "summary_pos": ["Merveilleux !", "Je recommande", "Un chef-d'œuvre", "Génial", "Excellent"],
        "summary_neg": ["Décevant", "Argent gaspillé", "À éviter", "Très mauvais", "Ennuyeux"],
        "filler": {
            "books": [
                'J\'ai lu "{TITLE}" en vacances.',
                "L'auteur est connu.",
                "Le livre fait environ trois cents pages.",
            ],
            "dvd": [
                'J\'ai regardé "{TITLE}" en famille.',
                "Le film dure deux heures.",
                "Le DVD est arrivé à temps.",
            ],
            "music": [
                'J\'ai écouté "{TITLE}" en voiture.',
                "L'album compte douze chansons.",
                "Le CD est arrivé dans une jolie boîte.",
            ],
        },
        "mild_pos": ["La couverture est jolie, cela dit.", "Le prix était correct."],
        "mild_neg": ["La livraison a pris du temps.", "L'emballage était un peu abîmé."],
        "titles": [
            "La rivière silencieuse",
            "Nuits Rock & Roll",
            "Lumière d'hiver",
            "Le port bleu",
        ],
    },
    "ja": {
        "items": {
            "books": ["この本", "この小説"],
            "dvd": ["この映画", "このDVD"],
            "music": ["このアルバム", "このCD"],
        },
        "pos": [
            "{ITEM}が大好きです。",
            "{ITEM}を強くおすすめします。",
            "本当に素晴らしいです。",
            "今まで買った中で最高の一つです。",
            "値段以上の価値があります。",
            "最初から最後まで楽しめました。",
            "プレゼント用にもう一度買います。",
            "感動的で、とても丁寧に作られています。",
        ],
        "neg": [
            "{ITEM}は大嫌いです。",
            "{ITEM}は誰にもおすすめしません。",
            "完全にお金の無駄です。",
            "今まで買った中で最悪の一つです。",
            "最初から最後まで退屈でした。",
            "ひどくがっかりしました。",
            "買ったことを後悔して返品しました。",
            "つまらなくて、作りも雑で、長すぎます。",
        ],
        "summary_pos": ["素晴らしい!", "おすすめです", "傑作", "大満足", "最高"],
        "summary_neg": ["残念", "お金の無駄", "買わないで", "最悪", "退屈"],
        "filler": {
            "books": [
                "休暇中に「{TITLE}」を読みました。",
                "作者は有名です。",
                "この本は約三百ページです。",
            ],
            "dvd": [
                "家族と「{TITLE}」を見ました。",
                "映画は二時間です。",
                "DVDは予定通りに届きました。",
            ],
            "music": [
                "車の中で「{TITLE}」を聴きました。",
                "アルバムには十二曲入っています。",
                "CDはきれいな箱に入って届きました。",
            ],
        },
        "mild_pos": ["ただ、表紙はきれいです。", "値段は手頃でした。"],
        "mild_neg": ["配送に少し時間がかかりました。", "包装が少し傷んでいました。"],
        "titles": ["静かな川", "ロックンロールの夜", "冬の光", "青い港"],
    },
}

#: Corpus metadata per language: directory code, category names, URL host, date format.
CLS_META: dict[str, dict] = {
    "en": {"dir": "en", "category": {"books": "books", "dvd": "dvd", "music": "music"}},
    "de": {
        "dir": "de",
        "host": "www.amazon.de",
        "date": "{d}. {month} 2009",
        "months": [
            "Januar",
            "Februar",
            "März",
            "April",
            "Mai",
            "Juni",
            "Juli",
            "August",
            "September",
            "Oktober",
            "November",
            "Dezember",
        ],
        "category": {"books": "Bücher", "dvd": "DVD & Blu-ray", "music": "Musik"},
        "locations": ["Berlin", "Dresden", "München", "Hamburg", ""],
    },
    "fr": {
        "dir": "fr",
        "host": "www.amazon.fr",
        "date": "{d} {month} 2009",
        "months": [
            "janvier",
            "février",
            "mars",
            "avril",
            "mai",
            "juin",
            "juillet",
            "août",
            "septembre",
            "octobre",
            "novembre",
            "décembre",
        ],
        "category": {"books": "Livres", "dvd": "DVD", "music": "Musique"},
        "locations": ["Paris, France", "Lyon", "Lille", "Bordeaux, France", ""],
    },
    "ja": {
        "dir": "jp",
        "host": "www.amazon.co.jp",
        "date": "2009/{m:02d}/{d:02d}",
        "category": {"books": "本", "dvd": "DVD", "music": "ミュージック"},
        "locations": ["東京都", "大阪府", "兵庫県", "北海道", ""],
    },
}

# --------------------------------------------------------------------------- MLDoc (news)
#: Invented names shared by all languages.
ORGS = ["Nordvik", "Altamar", "Kerrow", "Belmonte", "Sanvora", "Tellgren"]
PLACES = ["Valdoria", "Estmark", "Corvania", "Lunesia"]
MLDOC: dict[str, dict[str, list[str]]] = {
    "en": {
        "CCAT": [
            "{ORG} said its quarterly net profit rose {N} percent on higher sales.",
            "{ORG} agreed to buy a rival packaging company for an undisclosed sum.",
            "The chief executive of {ORG} announced a new factory and {N}00 new jobs.",
            "{ORG} won a large contract to supply trains to the national railway.",
        ],
        "ECAT": [
            "Consumer prices in {PLACE} rose {N} percent in March, the statistics office said.",
            "Unemployment in {PLACE} fell to {N} percent as the economy kept growing.",
            "The government of {PLACE} cut its forecast for economic growth this year.",
            "{PLACE}'s trade deficit widened as imports grew faster than exports.",
        ],
        "GCAT": [
            "The parliament of {PLACE} approved a new road safety law after a long debate.",
            "Voters in {PLACE} will elect a new president in the election next month.",
            "Police arrested {N} people after protests in the capital of {PLACE}.",
            "Heavy floods forced {N}00 families in {PLACE} to leave their homes.",
        ],
        "MCAT": [
            "The {PLACE} stock index closed {N} percent higher in active trading.",
            "Government bond yields in {PLACE} eased as traders bought bonds.",
            "The {PLACE} currency firmed against the dollar on the foreign exchange market.",
            "Crude oil futures fell {N} cents a barrel while gold prices rose.",
        ],
        "neutral": [
            "Further details were not immediately available.",
            "Officials declined to comment further.",
        ],
    },
    "de": {
        "CCAT": [
            (
                "{ORG} teilte mit, der Quartalsgewinn sei dank höherer Umsätze um {N} Prozent "
                "gestiegen."
            ),
            (
                "{ORG} übernimmt einen konkurrierenden Verpackungshersteller für eine ungenannte "
                "Summe."
            ),
            (
                "Der Vorstandschef von {ORG} kündigte eine neue Fabrik und {N}00 neue Arbeitsplätze "
                "an."
            ),
            "{ORG} erhielt einen großen Auftrag zur Lieferung von Zügen an die Staatsbahn.",
        ],
        "ECAT": [
            "Die Verbraucherpreise in {PLACE} stiegen im März um {N} Prozent, so das Statistikamt.",
            "Die Arbeitslosigkeit in {PLACE} sank auf {N} Prozent, die Wirtschaft wächst weiter.",
            "Die Regierung von {PLACE} senkte ihre Prognose für das Wirtschaftswachstum.",
            (
                "Das Handelsdefizit von {PLACE} wuchs, weil die Importe schneller stiegen als die "
                "Exporte."
            ),
        ],
        "GCAT": [
            (
                "Das Parlament von {PLACE} verabschiedete nach langer Debatte ein neues "
                "Verkehrsgesetz."
            ),
            "Die Wähler in {PLACE} wählen bei der Wahl im nächsten Monat einen neuen Präsidenten.",
            "Die Polizei nahm nach Protesten in der Hauptstadt von {PLACE} {N} Menschen fest.",
            "Schwere Überschwemmungen zwangen {N}00 Familien in {PLACE}, ihre Häuser zu verlassen.",
        ],
        "MCAT": [
            "Der Aktienindex von {PLACE} schloss bei regem Handel {N} Prozent höher.",
            "Die Renditen der Staatsanleihen von {PLACE} gaben nach, Händler kauften Anleihen.",
            "Die Währung von {PLACE} legte am Devisenmarkt gegenüber dem Dollar zu.",
            "Die Rohöl-Futures fielen um {N} Cent je Barrel, der Goldpreis stieg.",
        ],
        "neutral": [
            "Weitere Einzelheiten waren zunächst nicht bekannt.",
            "Ein Sprecher wollte sich nicht weiter äußern.",
        ],
    },
    "fr": {
        "CCAT": [
            "{ORG} a annoncé une hausse de {N} % de son bénéfice trimestriel grâce aux ventes.",
            "{ORG} va racheter un concurrent dans l'emballage pour un montant non divulgué.",
            "Le PDG de {ORG} a annoncé une nouvelle usine et {N}00 emplois.",
            "{ORG} a remporté un important contrat de livraison de trains.",
        ],
        "ECAT": [
            (
                "Les prix à la consommation en {PLACE} ont augmenté de {N} % en mars, selon "
                "l'institut de statistique."
            ),
            "Le chômage en {PLACE} est tombé à {N} % et l'économie continue de croître.",
            "Le gouvernement de {PLACE} a abaissé sa prévision de croissance économique.",
            (
                "Le déficit commercial de {PLACE} s'est creusé, les importations progressant plus "
                "vite que les exportations."
            ),
        ],
        "GCAT": [
            "Le parlement de {PLACE} a adopté une nouvelle loi sur la sécurité routière.",
            "Les électeurs de {PLACE} éliront un nouveau président le mois prochain.",
            "La police a arrêté {N} personnes après des manifestations dans la capitale.",
            "De graves inondations ont forcé {N}00 familles de {PLACE} à quitter leur maison.",
        ],
        "MCAT": [
            "L'indice boursier de {PLACE} a clôturé en hausse de {N} % dans un marché actif.",
            "Les rendements des obligations d'État de {PLACE} ont reculé.",
            "La monnaie de {PLACE} s'est raffermie face au dollar sur le marché des changes.",
            (
                "Les contrats à terme sur le pétrole brut ont perdu {N} cents le baril, l'or a "
                "progressé."
            ),
        ],
        "neutral": [
            "Aucun autre détail n'était disponible dans l'immédiat.",
            "Les responsables n'ont pas souhaité faire de commentaire.",
        ],
    },
    "es": {
        "CCAT": [
            "{ORG} dijo que su beneficio neto trimestral subió un {N} % por mayores ventas.",
            "{ORG} acordó comprar una empresa rival de envases por una suma no revelada.",
            "El consejero delegado de {ORG} anunció una nueva fábrica y {N}00 empleos.",
            "{ORG} ganó un gran contrato para suministrar trenes a la red ferroviaria.",
        ],
        "ECAT": [
            (
                "Los precios al consumo en {PLACE} subieron un {N} % en marzo, según la oficina "
                "de estadística."
            ),
            "El desempleo en {PLACE} bajó al {N} % mientras la economía sigue creciendo.",
            "El gobierno de {PLACE} recortó su previsión de crecimiento económico.",
            (
                "El déficit comercial de {PLACE} aumentó porque las importaciones crecieron más que "
                "las exportaciones."
            ),
        ],
        "GCAT": [
            "El parlamento de {PLACE} aprobó una nueva ley de seguridad vial.",
            "Los votantes de {PLACE} elegirán un nuevo presidente el mes que viene.",
            "La policía detuvo a {N} personas tras las protestas en la capital de {PLACE}.",
            "Graves inundaciones obligaron a {N}00 familias de {PLACE} a dejar sus casas.",
        ],
        "MCAT": [
            "El índice bursátil de {PLACE} cerró con una subida del {N} %.",
            "Los rendimientos de los bonos del Estado de {PLACE} bajaron.",
            "La moneda de {PLACE} se apreció frente al dólar en el mercado de divisas.",
            "Los futuros del crudo cayeron {N} centavos por barril y el oro subió.",
        ],
        "neutral": [
            "No se dieron más detalles de inmediato.",
            "Los responsables no quisieron hacer comentarios.",
        ],
    },
    "it": {
        "CCAT": [
            "{ORG} ha annunciato un aumento del {N} % dell'utile trimestrale grazie alle vendite.",
            "{ORG} ha accettato di acquistare un concorrente degli imballaggi.",
            (
                "L'amministratore delegato di {ORG} ha annunciato una nuova fabbrica e {N}00 posti "
                "di lavoro."
            ),
            "{ORG} ha vinto un grande contratto per fornire treni alle ferrovie.",
        ],
        "ECAT": [
            (
                "I prezzi al consumo in {PLACE} sono saliti del {N} % a marzo, secondo l'istituto "
                "di statistica."
            ),
            "La disoccupazione in {PLACE} è scesa al {N} % e l'economia continua a crescere.",
            "Il governo di {PLACE} ha tagliato la previsione di crescita economica.",
            "Il deficit commerciale di {PLACE} è aumentato perché le importazioni sono cresciute.",
        ],
        "GCAT": [
            "Il parlamento di {PLACE} ha approvato una nuova legge sulla sicurezza stradale.",
            "Gli elettori di {PLACE} eleggeranno un nuovo presidente il mese prossimo.",
            "La polizia ha arrestato {N} persone dopo le proteste nella capitale di {PLACE}.",
            "Gravi alluvioni hanno costretto {N}00 famiglie di {PLACE} a lasciare le case.",
        ],
        "MCAT": [
            "L'indice di borsa di {PLACE} ha chiuso in rialzo del {N} %.",
            "I rendimenti dei titoli di Stato di {PLACE} sono scesi.",
            "La valuta di {PLACE} si è rafforzata sul dollaro sul mercato dei cambi.",
            "I future sul petrolio sono scesi di {N} centesimi al barile e l'oro è salito.",
        ],
        "neutral": [
            "Non sono stati forniti altri dettagli.",
            "I funzionari non hanno voluto commentare.",
        ],
    },
    "ru": {
        "CCAT": [
            "Компания {ORG} сообщила, что её квартальная прибыль выросла на {N} процентов.",
            "Компания {ORG} договорилась купить конкурента за нераскрытую сумму.",
            "Глава компании {ORG} объявил о новом заводе и {N}00 новых рабочих местах.",
            "Компания {ORG} получила крупный контракт на поставку поездов.",
        ],
        "ECAT": [
            "Потребительские цены в {PLACE} выросли в марте на {N} процента.",
            "Безработица в {PLACE} снизилась до {N} процентов, экономика продолжает расти.",
            "Правительство {PLACE} понизило прогноз экономического роста.",
            "Дефицит внешней торговли {PLACE} вырос, так как импорт рос быстрее экспорта.",
        ],
        "GCAT": [
            "Парламент {PLACE} принял новый закон о безопасности дорожного движения.",
            "Избиратели {PLACE} выберут нового президента на выборах в следующем месяце.",
            "Полиция задержала {N} человек после протестов в столице {PLACE}.",
            "Сильные наводнения вынудили {N}00 семей в {PLACE} покинуть свои дома.",
        ],
        "MCAT": [
            "Фондовый индекс {PLACE} закрылся ростом на {N} процента.",
            "Доходность государственных облигаций {PLACE} снизилась.",
            "Валюта {PLACE} укрепилась к доллару на валютном рынке.",
            "Фьючерсы на нефть подешевели на {N} центов за баррель, золото подорожало.",
        ],
        "neutral": [
            "Других подробностей пока нет.",
            "Официальные лица отказались от комментариев.",
        ],
    },
    "ja": {
        "CCAT": [
            "{ORG}は、売上増により四半期純利益が{N}%増加したと発表した。",
            "{ORG}は、競合の包装会社を非公開の金額で買収することで合意した。",
            "{ORG}の最高経営責任者は、新工場の建設と{N}00人の新規雇用を発表した。",
            "{ORG}は、国鉄向けの列車を供給する大型契約を獲得した。",
        ],
        "ECAT": [
            "統計局によると、{PLACE}の3月の消費者物価は{N}%上昇した。",
            "{PLACE}の失業率は{N}%に低下し、経済は成長を続けている。",
            "{PLACE}政府は今年の経済成長見通しを引き下げた。",
            "輸入が輸出を上回って伸び、{PLACE}の貿易赤字が拡大した。",
        ],
        "GCAT": [
            "{PLACE}の議会は、長い議論の末に新しい交通安全法を可決した。",
            "{PLACE}の有権者は来月の選挙で新しい大統領を選ぶ。",
            "{PLACE}の首都での抗議デモの後、警察は{N}人を逮捕した。",
            "大規模な洪水により、{PLACE}の{N}00世帯が避難を余儀なくされた。",
        ],
        "MCAT": [
            "{PLACE}の株価指数は活発な取引の中、{N}%高で引けた。",
            "{PLACE}の国債利回りは低下し、トレーダーは債券を買った。",
            "外国為替市場で{PLACE}の通貨はドルに対して上昇した。",
            "原油先物は1バレル当たり{N}セント下落し、金価格は上昇した。",
        ],
        "neutral": ["詳細は明らかにされていない。", "当局者はコメントを控えた。"],
    },
    "zh": {
        "CCAT": [
            "{ORG}表示，由于销售增长，其季度净利润增长了{N}%。",
            "{ORG}同意以未披露的金额收购一家竞争对手包装公司。",
            "{ORG}首席执行官宣布新建一座工厂并创造{N}00个新工作岗位。",
            "{ORG}赢得了一份为国家铁路供应列车的大合同。",
        ],
        "ECAT": [
            "统计局称，{PLACE}三月份消费者价格上涨了{N}%。",
            "{PLACE}的失业率降至{N}%，经济继续增长。",
            "{PLACE}政府下调了今年的经济增长预测。",
            "由于进口增长快于出口，{PLACE}的贸易逆差扩大。",
        ],
        "GCAT": [
            "{PLACE}议会经过长时间辩论通过了一项新的道路安全法。",
            "{PLACE}选民将在下个月的选举中选出新总统。",
            "{PLACE}首都发生抗议活动后，警方逮捕了{N}人。",
            "严重洪水迫使{PLACE}的{N}00个家庭离开家园。",
        ],
        "MCAT": [
            "{PLACE}股指在活跃交易中收高{N}%。",
            "{PLACE}政府债券收益率下降，交易员买入债券。",
            "在外汇市场上，{PLACE}货币兑美元走强。",
            "原油期货每桶下跌{N}美分，黄金价格上涨。",
        ],
        "neutral": ["目前尚无更多细节。", "官员拒绝进一步置评。"],
    },
}
