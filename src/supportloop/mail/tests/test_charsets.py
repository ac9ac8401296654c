"""Charset detection for mail whose label is missing, unknown or wrong (issue 10, item 8).

Each case is built from real text in a real codec and must come back exactly; the old fixed order of
fallback codecs turned Latin text into CJK mojibake and kept UTF-8 mislabelled as Latin-1 as mojibake.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from supportloop.mail import charsets
from supportloop.mail.parsing import decode_bytes, parse_message

BODIES = [
    # (text, the codec it is written in, the label the mail carries; None = no charset parameter)
    ("Grüße aus Köln", "latin-1", "x-unknown"),
    ("Sehr geehrte Damen und Herren, die Größe der Lieferung war falsch. Mit freundlichen Grüßen", "cp1252", None),
    (
        "Bonjour, je n'arrive pas à me connecter depuis hier. Pouvez-vous m'aider ? Merci d'avance.",
        "cp1252",
        "unknown-8bit",
    ),
    ("Le café est très froid, à bientôt", "latin-1", None),
    ("¿Dónde está mi pedido? Lo pedí hace dos semanas y todavía no ha llegado. Gracias, señor.", "cp1252", None),
    ("Dzień dobry, nie mogę się zalogować do konta. Hasło nie działa, proszę o pomoc.", "cp1250", None),
    ("Dzień dobry, nie mogę się zalogować do konta. Hasło nie działa, proszę o pomoc.", "iso-8859-2", "x-unknown"),
    ("Здравствуйте, у меня не работает вход в личный кабинет. Помогите, пожалуйста.", "koi8-r", None),
    ("Здравствуйте, у меня не работает вход в личный кабинет. Помогите, пожалуйста.", "cp1251", None),
    ("您好，我的账户无法登录，请帮我看一下。谢谢！", "gb18030", None),
    ("您好，我的帳戶無法登入，請幫我看一下。謝謝！", "big5", None),
    ("こんにちは、ログインできません。確認していただけますか。", "shift_jis", None),
    # UTF-8 labelled with a single-byte charset: the declared decode "works" and is mojibake.
    ("Привет, мир", "utf-8", "iso-8859-1"),
    ("Привет, мир", "utf-8", "windows-1252"),
    ("Grüße aus Köln – 日本語も", "utf-8", "ISO-8859-1"),
    # Russian in a Latin-1 label: decodes without error, reads as accent soup.
    ("Здравствуйте, не работает вход.", "cp1251", "iso-8859-1"),
]


def mail(body: bytes, label: str | None, subject: bytes = b"Hello") -> bytes:
    content_type = b"text/plain" + (b"; charset=" + label.encode() if label else b"")
    return (
        b"From: Anna <anna@acme.test>\r\nTo: support@example.test\r\nSubject: "
        + subject
        + b"\r\nMessage-ID: <cs@acme.test>\r\nMIME-Version: 1.0\r\nContent-Type: "
        + content_type
        + b"\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
        + body
        + b"\r\n"
    )


@pytest.mark.parametrize("text,codec,label", BODIES, ids=[f"{c}-as-{lbl}" for _t, c, lbl in BODIES])
def test_body_in_unknown_missing_or_wrong_charset_decodes(text, codec, label):
    assert parse_message(mail(text.encode(codec), label)).text.rstrip() == text


def test_the_reported_case():
    # Was "Gr\ue3eae aus K鰈n" (GB18030 accepted the Latin-1 bytes) and "ÐŸÑ€Ð¸Ð²ÐµÑ‚".
    assert decode_bytes("Grüße aus Köln".encode("latin-1"), "x-unknown") == "Grüße aus Köln"
    assert decode_bytes("Привет".encode(), "iso-8859-1") == "Привет"


# A subject of about three words in raw 8-bit bytes, with no charset anywhere in the message: the detector's
# weakest case (a few bytes, no language statistics).
SHORT_HEADERS = [
    ("Rechnung für März", "cp1252"),
    ("Größe falsch geliefert", "cp1252"),
    ("Problème de connexion", "cp1252"),
    ("Contraseña olvidada hoy", "cp1252"),
    ("Faktura za październik", "cp1250"),
    ("Faktura za październik", "iso-8859-2"),
    ("Ошибка при оплате", "cp1251"),
    ("Ошибка при оплате", "koi8-r"),
    ("Счёт не оплачен", "koi8-r"),
    ("账户无法登录", "gb18030"),
    ("帳戶無法登入", "big5"),
    ("請求書について", "shift_jis"),
]


@pytest.mark.parametrize("text,codec", SHORT_HEADERS, ids=[f"{c}-{t}" for t, c in SHORT_HEADERS])
def test_short_raw_8bit_subject_without_any_charset(text, codec):
    assert parse_message(mail(b"plain ascii body", None, subject=text.encode(codec))).subject == text


@pytest.mark.parametrize("text,codec", SHORT_HEADERS, ids=[f"{c}-{t}" for t, c in SHORT_HEADERS])
def test_short_encoded_word_in_an_unknown_charset(text, codec):
    word = b"=?x-unknown?B?" + __import__("base64").b64encode(text.encode(codec)) + b"?="
    assert parse_message(mail(b"plain ascii body", None, subject=word)).subject == text


def test_a_short_header_takes_the_charset_detected_for_the_body():
    # One word is too little for any detector ("Вход" in KOI8-R is also two valid GBK characters); the body
    # of the same message, detected as KOI8-R, settles it.
    body = "Здравствуйте, у меня не работает вход в личный кабинет.".encode("koi8-r")
    parsed = parse_message(mail(body, None, subject="Вход".encode("koi8-r")))
    assert parsed.subject == "Вход"
    assert parsed.text.startswith("Здравствуйте")


def test_labelled_mail_never_calls_the_detector(monkeypatch):
    """Parsing speed: the detector runs only when the cheap path fails or is implausible."""
    calls = []
    monkeypatch.setattr(charsets, "from_bytes", lambda *a, **k: calls.append(a) or [])
    for text, codec, label in [
        ("Grüße aus Köln", "latin-1", "iso-8859-1"),
        ("Привет, мир", "utf-8", "utf-8"),
        ("Привет, мир", "koi8-r", "koi8-r"),
        ("您好", "gbk", "gb2312"),
        ("Привет, мир", "utf-8", None),
    ]:  # the last one unlabelled
        assert parse_message(mail(text.encode(codec), label)).text.rstrip() == text
    assert calls == []


def test_utf8_with_a_few_broken_bytes_stays_utf8():
    data = "Grüße aus Köln, schöne Grüße".encode() + b"\xff"
    assert decode_bytes(data, "utf-8") == "Grüße aus Köln, schöne Grüße\ufffd"


# Words of mail in languages written in CP1252, with and without accents; a sentence is in one language.
WESTERN_WORDS = {
    "de": [
        "Grüße",
        "aus",
        "Köln",
        "Größe",
        "Rückgabe",
        "für",
        "März",
        "Bestellung",
        "schön",
        "Müller",
        "Straße",
        "Lieferung",
        "ist",
        "nicht",
        "angekommen",
        "Überweisung",
        "bitte",
        "prüfen",
        "danke",
        "Hallo",
    ],
    "fr": [
        "Problème",
        "connexion",
        "très",
        "déjà",
        "à",
        "où",
        "reçu",
        "façon",
        "élève",
        "Noël",
        "garçon",
        "hôtel",
        "bonjour",
        "merci",
        "commande",
        "été",
        "livrée",
        "numéro",
        "aidez-moi",
        "compte",
    ],
    "es": [
        "contraseña",
        "mañana",
        "señor",
        "está",
        "pedí",
        "todavía",
        "¿Dónde",
        "Gracias",
        "año",
        "niño",
        "pedido",
        "llegó",
        "cuenta",
        "facturación",
        "información",
        "número",
        "también",
        "ayuda",
    ],
    "pt": [
        "não",
        "você",
        "informação",
        "coração",
        "obrigado",
        "pedido",
        "está",
        "conexão",
        "senha",
        "número",
        "cartão",
        "crédito",
        "também",
        "até",
        "amanhã",
        "ajuda",
    ],
    "it": [
        "città",
        "perché",
        "più",
        "però",
        "già",
        "ordine",
        "è",
        "arrivato",
        "grazie",
        "fattura",
        "può",
        "aiutarmi",
        "qualità",
        "così",
    ],
}
ENGLISH_WORDS = ["the", "order", "invoice", "account", "login", "password", "thanks", "please", "help", "ID"]


@hsettings(max_examples=200, deadline=None)
@given(
    st.sampled_from(sorted(WESTERN_WORDS)).flatmap(
        lambda lang: st.lists(st.sampled_from(WESTERN_WORDS[lang] + ENGLISH_WORDS), min_size=3, max_size=15)
    )
)
def test_western_text_labelled_unknown_decodes_exactly(words):
    text = " ".join(words)
    assert decode_bytes(text.encode("cp1252"), "x-unknown") == text
