"""Free-mail domains: an address there says nothing about the sender's company."""

FREE_MAIL_DOMAINS = frozenset("""
126.com 139.com 163.com aim.com aol.com bk.ru comcast.net email.com fastmail.com gmail.com
gmx.at gmx.com gmx.de gmx.net googlemail.com hey.com hotmail.co.uk hotmail.com hotmail.de
hotmail.fr hotmail.it hushmail.com icloud.com inbox.ru laposte.net libero.it list.ru live.com
live.co.uk live.fr mac.com mail.com mail.ru me.com msn.com naver.com orange.fr outlook.com
outlook.de outlook.fr pm.me proton.me protonmail.com qq.com rambler.ru rediffmail.com sina.com
t-online.de tutanota.com ukr.net web.de yahoo.co.in yahoo.co.jp yahoo.co.uk yahoo.com yahoo.de
yahoo.fr yandex.com yandex.ru ymail.com zoho.com
""".split())


def email_domain(email: str) -> str:
    return email.rpartition("@")[2].strip().lower()


def is_free_mail(email: str) -> bool:
    return email_domain(email) in FREE_MAIL_DOMAINS
