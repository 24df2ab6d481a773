#!/usr/bin/env python3
"""Generate the Northwind Cloud sample exports that live beside this script.

Pure standard library and fully deterministic (random.Random(7), no clocks, gzip mtime=0): running it
twice gives byte-identical files. Northwind Cloud and every person, address, phone number, e-mail
address and bank account in here are fictitious.

    python3 sample_data/make_sample_data.py
"""
from __future__ import annotations

import copy
import csv
import gzip
import io
import json
import random
from pathlib import Path

HERE = Path(__file__).resolve().parents[1] / "sample_data"
rng = random.Random(7)


# --------------------------------------------------------------------------------------------- helpers


def dumps(obj) -> str:
    return json.dumps(obj, ensure_ascii=False)


def write_bytes(rel: str, data: bytes) -> None:
    path = HERE / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def write_text(rel: str, text: str, encoding: str = "utf-8") -> None:
    write_bytes(rel, text.encode(encoding))  # bytes: no platform newline translation


def write_jsonl(rel: str, lines: list[str], encoding: str = "utf-8") -> None:
    write_text(rel, "".join(line + "\n" for line in lines), encoding)


def iban(country: str, bban: str) -> str:
    """ISO 13616 check digits: rearrange, letters -> 10..35, 98 - (n mod 97)."""
    digits = "".join(str(int(ch, 36)) for ch in bban + country + "00")
    return f"{country}{98 - int(digits) % 97:02d}{bban}"


def iban_valid(value: str) -> bool:
    s = value.replace(" ", "")
    return int("".join(str(int(ch, 36)) for ch in s[4:] + s[:4])) % 97 == 1


def rib_key(bank: str, branch: str, account: str) -> str:
    """French RIB key for an all-digit account number."""
    return f"{97 - (89 * int(bank) + 15 * int(branch) + 3 * int(account)) % 97:02d}"


def grouped(value: str) -> str:
    return " ".join(value[i:i + 4] for i in range(0, len(value), 4))


# --------------------------------------------------------------------------------------------- PII (fictitious)

DE_IBAN = iban("DE", "50010517" + "0648489890")
DE_IBAN_SPACED = grouped(DE_IBAN)
FR_IBAN = iban("FR", "30004" + "00823" + "04519872630" + rib_key("30004", "00823", "04519872630"))
assert iban_valid(DE_IBAN_SPACED) and iban_valid(FR_IBAN)

PII_CHATS = {
    "names": ["Oliver Bennett", "Charlotte Hughes", "Jürgen Hoffmann", "Katrin Vogel",
              "Amélie Fontaine", "Camille Lefèvre", "Lucía Navarro", "Javier Morales"],
    "emails": ["oliver.bennett@example.com", "amelie.fontaine@example.net", "k.vogel@example.org",
               "javier.morales@example.com"],
    "phones": ["+44 20 7946 0958", "+49 170 5550123", "06 39 98 42 17", "655 123 987"],
    "ibans": [DE_IBAN_SPACED, FR_IBAN],
    "addresses": ["Lindenstraße 17, 50674 Köln"],
}
PII_TICKETS = {
    "names": ["Grace Whitfield", "Matthias Brandt", "Élodie Marchand", "Diego Fernández", "Priya Raman"],
    "emails": ["grace.whitfield@example.com", "elodie.marchand@example.org"],
    "phones": ["+49 40 5550 1876", "+34 612 555 019", "+44 161 496 0732"],
}

# --------------------------------------------------------------------------------------------- 1. support chats

SYSTEM = ("You are the support assistant for Northwind Cloud. Northwind sells the Sync, Vault and Desk cloud apps "
          "and the Northwind router range (NW-R200, NW-R450 Pro, NW-AX1800 Mesh, Beacon 6E and the EG-10 Edge "
          "Gateway). Be accurate, friendly and concise, and never ask customers for passwords or full card numbers.")

# (opener, answer, [(follow-up question, follow-up answer), ...]); {slots} are filled per conversation.
VARIANTS: list[tuple[str, str, list[tuple[str, str]]]] = [
    ("After last night's firmware update to {fw} my {router} won't give out internet. The power LED is solid white "
     "but every device says 'connected, no internet'.",
     "Sorry about that — a few {router} units lost their WAN settings during the {fw} rollout. Please open the admin "
     "page at http://192.168.50.1, go to Internet > WAN and check that the connection type still matches your ISP "
     "(PPPoE users usually need to re-enter the username and password). If it looks right, power-cycle the modem "
     "first, wait a minute, then restart the router.",
     [("The WAN type had switched to DHCP. Changing it back to PPPoE fixed it.",
       "Great, thanks for confirming. We've reported the reset to the firmware team so the next release keeps your "
       "WAN settings intact.")]),
    ("Since the automatic update to firmware {fw}, my {router} reboots every few minutes. Is this a known bug?",
     "Yes, we've seen boot loops on a small number of units after {fw}. The fix is firmware {fw2}, which you can "
     "install by hand: download it from the Northwind downloads page, open Settings > System > Firmware in the admin "
     "page, choose 'Upload file' and keep the router powered for about five minutes. Your settings are preserved.",
     [("Can I stop it from updating on its own?",
       "You can: Settings > System > Firmware > Automatic updates has a 'Notify only' option. We still recommend "
       "installing security releases within a week or so of the notification.")]),
    ("I forgot the admin password for my {router}'s web interface. How do I get back in without losing my port "
     "forwards?",
     "The admin password can only be recovered with a factory reset, which also clears port forwards. Before you "
     "reset, check whether you ever exported a configuration backup (Settings > System > Backup creates a .nwcfg "
     "file) — you can restore it afterwards. To reset, hold the recessed button on the back for 10 seconds until "
     "the LED flashes amber, then sign in with the password printed on the label underneath.",
     [("I don't have a backup. Is there really no other way?",
       "Unfortunately not. The password is stored hashed on the device, so support can't read or bypass it either. "
       "After the reset you'll need to re-create the forwards by hand; noting them down from your NAS or game "
       "server documentation first makes it quick.")]),
    ("I bought a second NW-AX1800 Mesh node for the upstairs office but it won't pair. The light just pulses blue "
     "forever.",
     "A pulsing blue light means the node is waiting for a pairing signal. For the first pairing, put it in the same "
     "room as the main unit, open Network > Add node in the Northwind Home app and press the pair button on the back "
     "of the new node within two minutes. When the light turns solid white you can move it upstairs, ideally no more "
     "than two rooms away from the main unit.",
     [("It paired, but upstairs I only get about 20 Mbps.",
       "That usually means the node is too far away and falls back to a weak backhaul. Try moving it halfway between "
       "the main unit and the office; the app shows backhaul quality under Network > Nodes, and you're aiming for "
       "'Good' or better.")]),
    ("Wi-Fi on the 5 GHz band is painfully slow in the evenings while 2.4 GHz is fine. {router}, roughly 25 devices "
     "in the flat.",
     "Evenings are when neighbouring networks are busiest, so this is very likely channel congestion. In the admin "
     "page under Wireless > 5 GHz, switch the channel from Auto to 36 or 149 and the width from 160 MHz to 80 MHz. "
     "Narrower channels cope better with interference and in blocks of flats they are often faster in practice.",
     [("Channel 149 isn't in the list.",
       "Some regions restrict the upper channels. Try 44 or 52 instead — Wireless > Scan shows which channels your "
       "neighbours use, so pick the one with the fewest networks.")]),
    ("How do I open port 25565 for a Minecraft server running on my desktop? I have a {router}.",
     "In the admin page go to Advanced > Port forwarding, click Add rule and enter: name 'Minecraft', protocol TCP, "
     "external and internal port 25565, and your desktop's IP address. Reserve that address under LAN > DHCP "
     "reservations first so it can't change. One caveat: if your ISP uses carrier-grade NAT, forwards can't be "
     "reached from outside — the WAN page then shows an address starting with 100.",
     [("The WAN address does start with 100.",
       "Then your ISP shares one public IPv4 address between several customers, and no router setting can get "
       "around that. Most ISPs will assign a public address on request, sometimes for a small monthly fee.")]),
    ("Can I set up a separate guest Wi-Fi for visitors at our café, with a page where they accept our terms?",
     "Yes — the {router} supports a guest network with a captive portal. Open Wireless > Guest network, enable it "
     "and tick 'Show splash page'. You can paste your own terms and set a session length, for example four hours. "
     "Guests are isolated from your own devices by default, so the card terminal and office PCs stay out of reach.",
     []),
    ("We want staff to reach the office NAS from home. Does the EG-10 Edge Gateway do WireGuard, and how many people "
     "can it handle?",
     "It does. On the EG-10 go to VPN > WireGuard, enable the server and add one peer per person; each peer gets a QR "
     "code for the WireGuard mobile app or a .conf file for laptops. The EG-10 handles around 50 simultaneous peers "
     "at typical home-office traffic. Remember to include the NAS subnet in each peer's Allowed IPs.",
     [("Can I limit one peer to just the NAS?",
       "Yes. Set that peer's Allowed IPs to the NAS address alone, for example 10.0.10.20/32, instead of the whole "
       "office subnet.")]),
    ("The light on my {router} is blinking orange, slowly. What does that mean?",
     "A slow amber blink means the router has power and Wi-Fi but can't reach the internet, so the problem is "
     "usually upstream. Check that the cable from your modem or fibre box is in the yellow WAN port and restart the "
     "modem. If the light stays amber, the Internet status page in the app shows whether your ISP is handing out an "
     "address at all.",
     []),
    ("Is it possible to switch off the internet on my kids' tablets at 9pm on school nights only?",
     "Yes. In the Northwind Home app open Family > Profiles, create a profile for the kids and add their tablets, "
     "then add a schedule: 'Offline' from 21:00 to 07:00, Sunday to Thursday. Weekends are unaffected, and every "
     "other device in the house keeps working normally.",
     [("Can they get around it by changing the MAC address?",
       "Newer tablets use a random MAC address per network, which can make a device look new. Turn on 'Require "
       "approval for new devices' under Family > Settings so any unknown device has to be approved by you first.")]),
    ("Does the {router} support IPv6? My ISP says they provide it, but my devices only ever get IPv4 addresses.",
     "It does, but IPv6 is off by default on firmware older than 4.6. Go to Internet > IPv6, set the mode to "
     "'Native (DHCPv6-PD)' and save. Most ISPs delegate a /56 or /64 prefix, which the status page shows once it "
     "arrives; your devices should pick up IPv6 addresses within a minute.",
     []),
    ("The Northwind Home app can't find the new router during setup. It just says 'Searching for devices…' forever. "
     "I'm on an iPhone 15.",
     "Setup uses Bluetooth, so check that Bluetooth is on and that the Home app is allowed to use it (Settings > "
     "Privacy & Security > Bluetooth on the iPhone). Stay within a few metres of the router and make sure its LED "
     "pulses blue, which means setup mode. If it has been on for more than 30 minutes, unplug it for ten seconds to "
     "reopen the setup window.",
     [("Permission was off. It found the router now!",
       "Great. The rest of the setup takes about five minutes, and the router may restart once while it installs "
       "the latest firmware.")]),
    ("Our routers in three shops all rebooted at 3am for updates, and one of them runs our overnight card "
     "settlement. Can we choose when updates happen?",
     "Yes. In the Northwind Admin Console open Devices, select the shop routers and choose Actions > Update window. "
     "You can set any two-hour window per device or per site, for example Sunday 05:00–07:00. Critical security "
     "patches can still arrive outside the window, but we announce those in advance on the status page.",
     []),
    ("The power adapter of my {router} died — no lights at all. With another 12 V adapter it works fine. The router "
     "is 14 months old.",
     "Thanks for testing with another adapter, that helps a lot. Northwind hardware has a 24-month warranty, so a "
     "replacement adapter is covered. Reply with your order number or the serial number from the label and we'll "
     "ship a new adapter free of charge; there's no need to return the old one.",
     [("Order number is {order}.",
       "Thanks, found it. A replacement adapter is on its way and should arrive in three to five working days; the "
       "tracking link will follow by email.")]),
    ("Where can I download past invoices as PDFs? Our accountant needs everything from Q3.",
     "Account owners and billing admins find every invoice in the Admin Console under Billing > Invoices. Each row "
     "has a PDF button, and 'Download all' lets you pick a date range — choose 1 July to 30 September and you get one "
     "zip file. If your accountant needs this regularly, invite them as a billing admin; they won't see any "
     "workspace data.",
     []),
    ("If we upgrade from {plan_from} to {plan_to} in the middle of the month, do we pay twice?",
     "No. The upgrade applies immediately and is prorated: you get a credit for the unused days of {plan_from} and "
     "pay only the difference for the rest of the billing period. From the next period you're billed the {plan_to} "
     "price. The exact amount appears on the confirmation screen before you commit.",
     []),
    ("How do we cancel our subscription? We're moving to another provider at the end of the year.",
     "Sorry to see you go. The account owner can cancel under Billing > Subscription > Cancel plan. It takes effect "
     "at the end of the current billing period, and your data stays available read-only for 30 days afterwards so "
     "you can export it. If you tell us what was missing, we'll pass it on to the product team.",
     [("Do we get money back for the months we prepaid?",
       "Annual plans cancelled within the first six months of the term are refunded pro rata for full unused "
       "months; after that the plan runs to the end of the term. The cancellation screen shows any refund before "
       "you confirm.")]),
    ("We just hired {seats} people. How do I add seats without signing a new contract?",
     "No new contract needed. In the Admin Console go to Members > Invite and add their work addresses; each person "
     "takes a seat as soon as they accept, billed pro rata for the rest of the period. If you'd rather buy a block in "
     "advance, raise the seat count under Billing > Seats.",
     []),
    ("Someone left the company. If I remove them, do we lose the files they own in {app}?",
     "Removing a member doesn't delete their files. When you click Remove under Members, you'll be asked to transfer "
     "ownership of their files to someone else — their manager or a shared admin account works well. The freed seat "
     "is credited on your next invoice.",
     []),
    ("We'd like to turn on SSO with Microsoft Entra ID for our workspace. What do I need?",
     "SSO is included on Business and Enterprise. In the Admin Console open Security > Single sign-on, choose SAML "
     "2.0 and copy the ACS URL and Entity ID into a new enterprise application in Entra ID. Paste the Entra "
     "federation metadata URL back into Northwind and run 'Test connection' before enforcing SSO. Keep one admin on "
     "password login until the test passes so you can't lock yourselves out.",
     [("Does it do SCIM provisioning as well?",
       "Yes, on Enterprise. Security > Provisioning generates a SCIM token and base URL; new users and "
       "deactivations in Entra ID then sync to Northwind automatically, usually within 40 minutes.")]),
    ("I got a new phone and didn't move my authenticator app over. Now I can't sign in to the admin console.",
     "You can sign in with one of the recovery codes you saved when you set up two-factor authentication; each code "
     "works once. Afterwards, go to Profile > Security and register the authenticator on your new phone. Without "
     "codes, another admin can reset your 2FA from Members. If you're the only admin, we need to verify ownership, "
     "which takes one to two business days.",
     [("I'm the only admin and I have no codes.",
       "Understood. Reply from the e-mail address on the account and we'll start the identity check. To avoid this "
       "in future, we'd recommend adding a second admin.")]),
    ("Our integration keeps getting HTTP 429 from the Northwind API after about 100 requests. Is there a rate "
     "limit?",
     "Yes — 600 requests per minute per workspace on Business and 120 on Team. Every 429 response carries a "
     "Retry-After header in seconds; wait that long before retrying. For bulk jobs, the /v2/batch endpoint takes up "
     "to 100 operations per request, which usually makes the problem disappear.",
     [("We're on Team. Can the limit go up without upgrading?",
       "Temporary increases are possible for migrations. Tell us the expected volume and the dates and we'll raise "
       "it for up to 14 days.")]),
    ("Webhook signature verification fails on every event. We use the secret from the dashboard with HMAC-SHA256.",
     "The usual cause is hashing a re-serialised body instead of the raw request bytes. The X-Northwind-Signature "
     "header is computed over '<timestamp>.<raw body>', using the timestamp header. Many frameworks parse JSON "
     "before your handler runs, so read the raw body explicitly, and use the signing secret of that endpoint rather "
     "than the API key.",
     [("It was the framework parsing the body. Works now, thanks.",
       "Good to hear. One more tip: reject events whose timestamp is more than five minutes old, to guard against "
       "replayed requests.")]),
    ("Our webhook endpoint hasn't received a single event since {day}. Nothing changed on our side.",
     "When an endpoint keeps returning errors for 72 hours, Northwind pauses it automatically — a timeout or an "
     "expired TLS certificate on your side is enough. Open Developers > Webhooks: a paused endpoint shows a yellow "
     "banner with a Resume button. Once resumed, you can replay the failed events of the last seven days from the "
     "same page.",
     []),
    ("Northwind Sync keeps creating files called 'report (conflicted copy).xlsx'. What's going on?",
     "A conflicted copy appears when the same file is edited on two devices before they sync — for instance when one "
     "laptop was offline. Sync keeps both versions rather than overwrite anyone's work. Open both, keep the right "
     "one and delete the other. If it happens a lot with shared spreadsheets, turn on file locking in Sync > "
     "Preferences so others get a read-only copy while someone has the file open.",
     []),
    ("Someone deleted an entire project folder from our shared drive last week. Can Northwind Vault bring it back?",
     "Very likely, yes. Vault keeps deleted files for 30 days on Team and 180 days on Business. In the Vault web app "
     "open Restore, browse to the parent folder, switch to 'Show deleted', select the project folder and choose "
     "Restore to original location. Big folders restore in the background and you'll get an e-mail when it's done.",
     [("It's around 80 GB. How long will that take?",
       "Restores usually run at 200–400 GB per hour, so expect well under an hour. Files reappear gradually as "
       "they're restored.")]),
    ("How long does Northwind Vault keep old versions of files? We have an audit requirement of seven years.",
     "Business keeps 180 days of versions. For longer requirements, Enterprise offers per-folder retention policies "
     "of up to ten years, including legal hold. Policies apply from the moment they're set, so versions that have "
     "already expired can't be brought back retroactively.",
     []),
    ("Where exactly is our data stored? Legal wants it to stay inside the EU.",
     "Workspaces created since January 2025 pick a region at signup. EU workspaces are stored in Frankfurt with "
     "backups in Dublin, and data doesn't leave the EU for storage or processing. Settings > General > Data location "
     "shows your workspace's region; the data processing agreement and subprocessor list are on our Trust page.",
     [("Ours was created in 2023 and it says US.",
       "Older workspaces can be migrated to the EU region free of charge. The move runs over a weekend with about two "
       "hours of read-only time; the owner can request it under Settings > General > Data location.")]),
    ("A user asked for all the data we hold about them. Can Northwind export everything for one person?",
     "Yes. In the Admin Console open Members, pick the person and choose Privacy > Export personal data. The export "
     "contains their profile, activity log, the files they own and their comments, delivered as a zip within 24 "
     "hours to the admin who asked for it. Files that others own and merely shared with them are not included.",
     []),
    ("How far back do audit logs go, and can we ship them to our SIEM?",
     "The Admin Console shows 90 days of audit events on Business and a year on Enterprise. Enterprise can also "
     "stream events to Splunk, Datadog or any HTTPS endpoint in near real time (Security > Audit log > Streaming). "
     "On any plan you can download a CSV of any 31-day range.",
     []),
    ("`nwctl login` fails with 'invalid_grant' on our CI runner but works fine on my laptop.",
     "On a headless runner 'invalid_grant' usually means the device-code login expired before anyone approved it. "
     "For CI, use a service token: create one under Developers > Service tokens, store it as a CI secret and expose "
     "it as NW_TOKEN in the job. nwctl picks it up automatically, so no login step is needed.",
     [("Which scopes does it need to deploy configs?",
       "devices:write and sites:read are enough for config deployments. Keep tokens narrowly scoped and rotate them "
       "at least every 90 days.")]),
    ("What's the right way to install nwctl on Ubuntu 24.04? The docs mention both snap and apt.",
     "We recommend the apt repository, because the snap package trails a few releases behind. Add the Northwind "
     "signing key and repository as shown on the downloads page, then run `sudo apt install nwctl` and check with "
     "`nwctl version` — 2.8 or newer supports the new site templates.",
     []),
    ("Nobody on our team gets notification e-mails from {app} any more, and password reset mails don't arrive "
     "either.",
     "This is almost always a filter on the receiving side. Ask your IT team to allow mail from "
     "notifications.northwind.example and to check the quarantine of your mail gateway; on Microsoft 365 a transport "
     "rule that sets the spam confidence level to -1 for that domain is the usual fix. If it persists, give us one "
     "recipient and a rough time and we'll check whether your server accepted the message.",
     []),
    ("I'm trying to put our status page on status.ourcompany.com but domain verification keeps failing.",
     "You need a CNAME from status.ourcompany.com to pages.northwind.example and a TXT record named _nw-verify.status "
     "holding the token from the setup dialog. DNS changes can take up to an hour. A common snag: some DNS providers "
     "append your domain automatically, so typing the full name creates "
     "_nw-verify.status.ourcompany.com.ourcompany.com — enter only the host part.",
     [("That was exactly it, the name got doubled.",
       "Classic! Once verification passes, the TLS certificate is issued automatically within about 15 minutes.")]),
    ("The admin console has been really slow for the past hour — pages take 20 seconds to load. Is something going "
     "on?",
     "Yes, sorry: we're investigating degraded performance in the eu-central region since 09:40 UTC. The status page "
     "has the latest updates, and you can subscribe there for e-mail or SMS notices. Routers and Wi-Fi aren't "
     "affected; only the console and the API are slower than usual.",
     [("Any ETA?",
       "Engineering has found an overloaded database cluster and is shifting traffic away from it. There's no firm "
       "time yet, but the next status update is due within 30 minutes.")]),
    ("Our founder is leaving and still owns the workspace. How do we move ownership to our COO?",
     "The current owner can do it under Settings > General > Transfer ownership. The new owner has to be an admin "
     "already and accepts the transfer by e-mail. If the current owner is no longer reachable, we can transfer "
     "ownership on a written request from an authorised signatory of the company.",
     []),
    ("Do you offer discounts for registered charities?",
     "We do — registered non-profits get 50% off the Team and Business plans. Apply under Billing > Discounts with "
     "proof of charitable status, such as a registration number. Approval takes two to three business days and the "
     "discount starts with the next invoice.",
     []),
    ("Our invoices include VAT, but we're a business in another EU country. Can you apply the reverse charge?",
     "Yes. Add your VAT number under Billing > Company details; once it validates against VIES, future invoices show "
     "the reverse charge without VAT. Invoices that are already paid can't be reissued, but the open period is "
     "corrected automatically.",
     [("VIES says our number is invalid, but it's definitely correct.",
       "VIES asks the national tax office, and in some countries the number has to be enabled separately for "
       "intra-EU trade. Once your tax office has enabled it, validation succeeds straight away.")]),
    ("Can we switch billing from USD to EUR? Finance would prefer euro invoices.",
     "Currency can change at renewal. Let us know before your current term ends and we'll move the subscription to "
     "EUR pricing from the next period; the EUR price list is on the pricing page. A mid-term switch isn't possible "
     "because the running period was already invoiced in USD.",
     []),
    ("Our card payment failed and now there's a red banner saying the workspace will be suspended!",
     "No need to panic — suspension only happens after 14 days of non-payment, and the banner shows the exact date. "
     "Update the card under Billing > Payment method and click 'Retry payment'; if your bank uses 3-D Secure you'll "
     "get a confirmation prompt. Once the payment goes through, the banner disappears within a few minutes.",
     [("Can we pay by bank transfer instead?",
       "Yes, on annual plans. Switch the payment method to 'Invoice' and each invoice will carry our bank details "
       "with 30-day terms.")]),
    ("I ordered a {router} on {day} and the order still says 'processing'. Order {order}.",
     "Thanks for the order number. {order} is packed and waiting for the carrier's pickup today; the status switches "
     "to 'shipped' when the parcel is scanned, and the tracking link comes by e-mail. Standard delivery takes two to "
     "four working days from then.",
     []),
    ("Tracking for my parcel hasn't moved in four days. It just says 'in transit to destination country'.",
     "Cross-border parcels often go without scans during line-haul and customs, so four days isn't unusual. If "
     "there's still no update after seven working days, we open an investigation with the carrier and send a "
     "replacement straight away — you won't have to wait for the carrier's outcome.",
     [("It's been seven working days now.",
       "Thanks for your patience. I've opened the carrier investigation and arranged a replacement; new tracking "
       "details follow within one business day.")]),
    ("I ordered two {router} units by mistake. Can I send one back? It's still sealed.",
     "Of course. Unopened hardware can be returned within 30 days for a full refund. Request the return under "
     "Orders > {order} > Return item, print the prepaid label and drop the parcel at any carrier point. The refund "
     "goes to your original payment method within five business days of the parcel reaching our warehouse.",
     []),
    ("The box arrived crushed and one of the router's antennas is snapped off.",
     "I'm sorry it arrived like that. Please reply with a photo of the box and the broken antenna and keep the "
     "packaging for now. We'll ship a replacement right away, with a prepaid label for returning the damaged unit — "
     "the new one doesn't wait for the return.",
     []),
    ("Do you ship routers to Switzerland, and will I have to pay import duties on delivery?",
     "We ship to Switzerland from our EU warehouse. Prices at checkout already include Swiss VAT and duties "
     "(delivered duty paid), so there's nothing extra to pay at the door. Delivery usually takes four to six working "
     "days.",
     []),
    ("I just placed order {order} and realised it's going to my old address. Can I still change it?",
     "If the order hasn't been packed yet, yes — reply with the complete new address and we'll update it and send "
     "you a confirmation. If it has already shipped, the carrier's tracking page usually offers a redirect for a "
     "small fee.",
     []),
    ("How do I change the e-mail address I sign in with?",
     "Go to Profile > Account and click Change next to your e-mail. We send a confirmation link to the new address "
     "and a notice to the old one; the change takes effect when you click the link, and until then you keep signing "
     "in with the old address.",
     []),
    ("Please delete my personal Northwind account entirely, I don't use it any more.",
     "We can do that. Deletion is permanent: after a 14-day grace period your profile, devices and any files you own "
     "are removed. Start it under Profile > Account > Delete account, or confirm in a reply that we should do it for "
     "you. If you belong to a company workspace, its admin has to remove you first.",
     []),
    ("I accidentally created two accounts with different e-mail addresses. Can you merge them?",
     "Accounts can't be merged automatically, but devices and subscriptions can move between them. Pick the account "
     "you want to keep, then on the other one use Devices > Transfer for each router. If the account you're closing "
     "has an active subscription, reply here and we'll move it across without a gap in billing.",
     []),
    ("Can admins set a session timeout? People stay signed in to the console for weeks.",
     "Yes, on Business and Enterprise. Security > Session policy lets you set an idle timeout between 15 minutes and "
     "seven days, plus a maximum session length. The policy applies on each user's next request, so sessions that "
     "already exceed the new limit end immediately.",
     []),
]

USER_PREFIXES = ["", "", "", "", "Hi.", "Hello!", "Hi support team!", "Good morning.", "Hey there.",
                 "Quick question.", "Hello, hoping you can help."]
ASSISTANT_PREFIXES = ["", "", "", "", "Thanks for reaching out. ", "Happy to help! ", "Good question. ",
                      "Thanks for the details. "]
CLOSERS = [
    ("Thanks, that worked!", "Glad to hear it. If anything else comes up, just reply here."),
    ("Perfect, thank you.", "You're welcome — have a good day!"),
    ("OK, I'll try that tonight and come back if it doesn't help.",
     "Sounds good. This conversation stays open for seven days, so you can reply here and keep the context."),
    ("Thanks for the quick answer.", "Any time. Is there anything else I can help with?"),
    ("That fixed it, cheers.", "Brilliant — thanks for letting us know."),
    ("Great, that's all I needed.", "Happy we could sort it out. Take care!"),
]
ROUTERS_HOME = ["NW-R200", "NW-R450 Pro", "NW-AX1800 Mesh", "Beacon 6E"]
APPS = ["Northwind Sync", "Northwind Vault", "Northwind Desk"]
DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


def make_ctx() -> dict[str, object]:
    minor = rng.randint(2, 8)
    plan_from, plan_to = rng.choice([("Starter", "Team"), ("Team", "Business"), ("Business", "Enterprise")])
    return {"router": rng.choice(ROUTERS_HOME), "fw": f"4.{minor}.{rng.randint(0, 12)}",
            "fw2": f"4.{minor}.{rng.randint(13, 20)}", "order": f"NW-{rng.randint(300000, 899999)}",
            "plan_from": plan_from, "plan_to": plan_to, "seats": rng.randint(3, 25), "day": rng.choice(DAYS),
            "app": rng.choice(APPS)}


def build_chat(variant) -> dict:
    opener, answer, followups = variant
    ctx = make_ctx()
    prefix = rng.choice(USER_PREFIXES)
    user = f"{prefix} {opener}" if prefix else opener
    a_prefix = "" if answer.startswith(("Thanks", "Sorry", "Yes", "No ")) else rng.choice(ASSISTANT_PREFIXES)
    msgs = [{"role": "system", "content": SYSTEM},
            {"role": "user", "content": user.format_map(ctx)},
            {"role": "assistant", "content": (a_prefix + answer).format_map(ctx)}]
    n = rng.choice([1, 1, 2, 2, 3])
    extra = list(followups) + rng.sample(CLOSERS, 2)
    for q, a in extra[: n - 1]:
        msgs += [{"role": "user", "content": q.format_map(ctx)}, {"role": "assistant", "content": a.format_map(ctx)}]
    return {"messages": msgs}


def conv(*turns: str) -> dict:
    msgs = [{"role": "system", "content": SYSTEM}]
    for i, text in enumerate(turns):
        msgs.append({"role": "user" if i % 2 == 0 else "assistant", "content": text})
    return {"messages": msgs}


PII_CONVS = {
    4: conv(
        "Hi, this is Oliver Bennett from Bennett & Rowe Architects. We were charged twice for the October invoice "
        "on our Business plan. You can reach me at oliver.bennett@example.com or on +44 20 7946 0958 if it's easier "
        "to talk it through.",
        "Thanks for flagging this, and sorry for the trouble. I can see two payment attempts for the October "
        "invoice; the second is a duplicate authorisation that your bank should release within five business days. "
        "If it was actually captured, we'll refund it in full — billing will confirm by e-mail today.",
        "It shows as settled on our statement, not pending.",
        "Thanks for checking. In that case billing will refund the duplicate charge; it takes three to five business "
        "days to appear, and you'll receive a credit note for your records."),
    9: conv(
        "Guten Tag, we'd like to pay by SEPA direct debit from now on. Account holder is Jürgen Hoffmann, IBAN "
        f"{DE_IBAN_SPACED}. Call me on +49 170 5550123 if the mandate needs a signature.",
        "Thank you. For security reasons we can't set up a direct debit from bank details sent in chat. Please add "
        "the account yourself under Billing > Payment method > SEPA Direct Debit, where you accept the mandate "
        "online — no call or signature needed. The first debit happens on your next invoice date, and we'd suggest "
        "not sharing bank details in chat in future."),
    15: conv(
        "Bonjour, my router order still hasn't arrived. It's for Amélie Fontaine and the courier can call me on "
        "06 39 98 42 17. Please send any updates to amelie.fontaine@example.net.",
        "Thanks for getting in touch. I've checked with the carrier: the parcel is at the local depot and is due "
        "for delivery tomorrow between 10:00 and 14:00. On the morning of delivery the carrier sends a text with the "
        "option to pick a collection point instead.",
        "Tomorrow works. Merci !",
        "Wonderful — enjoy the new router, and let us know if the setup gives you any trouble."),
    23: conv(
        "Hola, soy Lucía Navarro. The Beacon 6E I set up at my parents' flat drops the Wi-Fi every time their "
        "landline rings. If it's easier to call, my number is 655 123 987.",
        "What a curious symptom — and a known one. Some older cordless phones transmit on 2.4 GHz, the same band as "
        "Wi-Fi, and drown out the signal while they ring. Check the label on the phone's base station: if it says "
        "2.4 GHz, move the base at least two metres from the Beacon or connect the devices to the 5 GHz network. "
        "DECT phones use 1.9 GHz and don't cause this."),
    27: conv(
        "Please update the delivery address for my replacement unit. It should go to Katrin Vogel, "
        "Lindenstraße 17, 50674 Köln. A confirmation to k.vogel@example.org would be great.",
        "Done — the replacement will ship to the new address and a confirmation is on its way by e-mail. You'll get "
        "the tracking link as soon as the parcel is handed to the carrier."),
    33: conv(
        "Hello, Camille Lefèvre here from finance at Atelier Lumière. Our bank has changed, so please send refunds "
        f"to {FR_IBAN} from now on.",
        "Thanks for letting us know. Refunds always go back to the original payment method, so we don't keep a "
        "separate bank account for them. Please update the payment method under Billing > Payment method; a refund "
        "sent to a closed account bounces back to us and is re-sent to the new method automatically."),
    41: conv(
        "My colleague Javier Morales is taking over as admin of our workspace. His address is "
        "javier.morales@example.com. What's the cleanest way to hand everything over?",
        "Invite him under Members > Invite with the Admin role. Once he has accepted, you can make him the owner "
        "under Settings > General > Transfer ownership — he confirms by e-mail — and then downgrade or remove your "
        "own account.",
        "Will the billing contact change automatically?",
        "No, the billing contact is separate. After the transfer, either of you can change it under Billing > "
        "Company details so invoices go to the right person."),
    46: conv(
        "I'm writing on behalf of Charlotte Hughes, who handed the account over to me when she retired. Her name is "
        "still printed on every invoice — how do we change that?",
        "The name on invoices comes from Billing > Company details. Any billing admin can change the contact name "
        "there; the change applies to the next invoice. Already issued invoices keep the old name, as they're legal "
        "documents, but we can send you copies re-addressed for your records if your accountant needs them."),
}

NEAR_BASE_USER = ("My NW-AX1800 Mesh satellite in the loft keeps dropping offline every evening around 8pm and comes "
                  "back on its own about twenty minutes later. The main unit stays online the whole time. Is there a "
                  "setting I'm missing?")
NEAR_BASE = conv(
    NEAR_BASE_USER,
    "Drops at the same time every evening usually point to interference rather than a setting. Around 8pm many "
    "neighbours start streaming, and a microwave or baby monitor close to the satellite can also disturb the 5 GHz "
    "backhaul. In the Northwind Home app open Network > Nodes, select the satellite and look at its backhaul history: "
    "if the signal falls to 'Weak' just before each drop, move it one room closer to the main unit or connect it with "
    "an Ethernet cable, which makes the backhaul immune to interference. Enabling 'DFS channels' under Wireless > "
    "Advanced also gives the mesh more room to avoid busy channels.",
    "I'll check the backhaul history tonight. Thanks!",
    "You're welcome. If the history shows a strong signal right up to the drop, send us the satellite's serial number "
    "and we'll look at its logs.")
NEAR_EDITS = {
    20: [("every evening around", "every night around")],  # one word
    21: [("in the loft", "in the attic"), ("around 8pm", "around 9pm")],  # two words
}


def chats_file() -> dict:
    pool = [build_chat(v) for v in VARIANTS]
    rng.shuffle(pool)
    lines: dict[int, str] = {}
    info: dict = {}
    it = iter(pool)
    for n in range(1, 61):
        if n in PII_CONVS:
            lines[n] = dumps(PII_CONVS[n])
        elif n == 7:
            obj = json.loads(lines[3])
            msg = obj["messages"][1]
            old = msg["content"]
            msg["content"] = old.replace(". ", ".\n  ", 1) if ". " in old else old.replace(" ", "  ", 1)
            assert msg["content"].split() == old.split() and msg["content"] != old
            info["ws_change"] = "'. ' -> '.\\n  '" if ". " in old else "first ' ' -> '  '"
            lines[n] = dumps(obj)
        elif n == 12:
            lines[n] = lines[5]
        elif n == 19:
            lines[n] = dumps(NEAR_BASE)
        elif n in NEAR_EDITS:
            obj = copy.deepcopy(NEAR_BASE)
            for old, new in NEAR_EDITS[n]:
                assert obj["messages"][1]["content"].count(old) == 1
                obj["messages"][1]["content"] = obj["messages"][1]["content"].replace(old, new)
            lines[n] = dumps(obj)
        elif n == 30:
            full = dumps(next(it))
            lines[n] = full[:-1]  # the export was cut: the closing brace of the object is missing
        else:
            lines[n] = dumps(next(it))
    write_jsonl("support/chats_2026-10.jsonl", [lines[n] for n in range(1, 61)])
    info["unused_variants"] = len(list(it))
    return info


# --------------------------------------------------------------------------------------------- 2. tool calls

TOOL_SYSTEM = ("You are the Northwind Cloud support assistant. Use the tools to look up live data before answering "
               "and never guess order, invoice or device details.")


def fn(name: str, desc: str, props: dict, required: list[str]) -> dict:
    return {"type": "function", "function": {"name": name, "description": desc, "parameters": {
        "type": "object", "properties": props, "required": required, "additionalProperties": False}}}


T_ORDER = fn("lookup_order", "Look up a hardware order by its order number.",
             {"order_id": {"type": "string", "description": "Order number such as NW-482913"}}, ["order_id"])
T_RESET = fn("reset_password", "Send a password reset link to the e-mail address on file for an account.",
             {"account_id": {"type": "string", "description": "Account ID, starts with acct_"}}, ["account_id"])
T_DEVICE = fn("check_device_status", "Live status of a Northwind router or mesh node.",
              {"serial": {"type": "string", "description": "Serial number from the device label"}}, ["serial"])
T_INVOICE = fn("get_invoice", "Fetch an invoice with its line items.",
               {"invoice_number": {"type": "string"}}, ["invoice_number"])
T_RMA = fn("create_rma", "Open a return (RMA) for a faulty device and issue a prepaid label.",
           {"order_id": {"type": "string"}, "serial": {"type": "string"},
            "reason": {"type": "string", "enum": ["dead_on_arrival", "hardware_fault", "damaged_in_transit"]}},
           ["order_id", "serial", "reason"])
T_STATUS = fn("check_service_status", "Current health of Northwind Cloud services in one region.",
              {"region": {"type": "string", "enum": ["eu-central", "eu-west", "us-east", "ap-southeast"]}}, ["region"])


def call_id() -> str:
    return "call_" + "".join(rng.choice("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
                             for _ in range(24))


def tool_chat(tools: list[dict], pre: list[str], calls: list[tuple[str, dict, dict]], final: str) -> dict:
    msgs = [{"role": "system", "content": TOOL_SYSTEM}]
    for i, text in enumerate(pre):
        msgs.append({"role": "user" if i % 2 == 0 else "assistant", "content": text})
    ids = [call_id() for _ in calls]
    msgs.append({"role": "assistant", "tool_calls": [
        {"id": cid, "type": "function", "function": {"name": name, "arguments": dumps(args)}}
        for cid, (name, args, _) in zip(ids, calls)]})
    for cid, (_, _, result) in zip(ids, calls):
        msgs.append({"role": "tool", "tool_call_id": cid, "content": dumps(result)})
    msgs.append({"role": "assistant", "content": final})
    return {"tools": tools, "messages": msgs}


def tool_calls_file() -> int:
    chats = [
        tool_chat([T_ORDER, T_RMA], ["Where is my order NW-514207? It was supposed to arrive yesterday."],
                  [("lookup_order", {"order_id": "NW-514207"},
                    {"order_id": "NW-514207", "status": "in_transit", "carrier": "DHL",
                     "tracking": "JD014600006281937452", "items": [{"sku": "NW-R450-PRO", "qty": 1}],
                     "estimated_delivery": "2026-10-16"})],
                  "Your order NW-514207 (one NW-R450 Pro) is in transit with DHL, now estimated for 16 October. You "
                  "can follow it with tracking number JD014600006281937452. Sorry it's running late — if it hasn't "
                  "arrived by the 19th, reply here and we'll chase the carrier."),
        tool_chat([T_RESET, T_ORDER], ["I can't sign in, please reset my password. My account ID is acct_7Q4M9K."],
                  [("reset_password", {"account_id": "acct_7Q4M9K"},
                    {"status": "sent", "channel": "email_on_file", "expires_in_minutes": 30})],
                  "Done — a reset link is on its way to the e-mail address on file for that account. It's valid for "
                  "30 minutes; if it doesn't show up, check your spam folder before requesting another one."),
        tool_chat([T_DEVICE, T_RMA, T_STATUS],
                  ["My router has been offline since this morning and I've already restarted it.",
                   "Sorry to hear that. Could you give me the serial number from the label under the router? It starts "
                   "with NWR.",
                   "Sure, it's NWR4-7X2K-99QF."],
                  [("check_device_status", {"serial": "NWR4-7X2K-99QF"},
                    {"serial": "NWR4-7X2K-99QF", "model": "NW-R450 Pro", "online": False,
                     "last_seen": "2026-10-14T06:12:09Z", "wan_link": "no_carrier", "firmware": "4.7.3"})],
                  "Thanks. The router last checked in at 06:12 UTC and reports 'no carrier' on its WAN port, which "
                  "means it doesn't see a signal from your modem at all. Please check the cable between the modem and "
                  "the yellow WAN port (try a different cable if you have one) and make sure the modem itself shows a "
                  "connection. If the modem looks fine, your ISP may have an outage in your area."),
        tool_chat([T_INVOICE],
                  ["Why is invoice INV-2026-0388 higher than last month's? Nothing changed on our side."],
                  [("get_invoice", {"invoice_number": "INV-2026-0388"},
                    {"invoice_number": "INV-2026-0388", "currency": "EUR", "total": 627.10,
                     "lines": [{"description": "Business plan, 12 seats, October", "amount": 540.00},
                               {"description": "3 seats added 12 Oct, prorated", "amount": 87.10}]})],
                  "INV-2026-0388 comes to €627.10. The base Business plan for 12 seats is €540.00 as usual; the extra "
                  "€87.10 is for three seats that were added on 12 October, charged pro rata for the rest of the "
                  "month. If those seats weren't intended, an admin can remove the unused invitations under Members "
                  "and the credit will show on the next invoice."),
        tool_chat([T_RMA, T_ORDER, T_DEVICE],
                  ["The Beacon 6E from order NW-620981 won't power on at all, serial NWB6-31QA-0K7D. It's brand new "
                   "and I tried two sockets."],
                  [("create_rma", {"order_id": "NW-620981", "serial": "NWB6-31QA-0K7D", "reason": "dead_on_arrival"},
                    {"rma_id": "RMA-2026-11873",
                     "label_url": "https://returns.northwind.example/labels/RMA-2026-11873.pdf",
                     "replacement": "ships_on_first_carrier_scan"})],
                  "I'm sorry the unit arrived dead. I've opened return RMA-2026-11873; you can print the prepaid label "
                  "from https://returns.northwind.example/labels/RMA-2026-11873.pdf. The replacement ships as soon as "
                  "the carrier scans your parcel, so you don't have to wait for it to reach our warehouse."),
        tool_chat([T_STATUS, T_DEVICE],
                  ["Is the console down? I keep getting '502 Bad Gateway' and we're in Frankfurt."],
                  [("check_service_status", {"region": "eu-central"},
                    {"region": "eu-central", "status": "degraded",
                     "components": {"console": "partial_outage", "api": "degraded", "device_cloud": "operational"},
                     "incident": "INC-4471", "updated": "2026-10-21T10:05:00Z"})],
                  "Yes, there's an ongoing incident (INC-4471) in eu-central: the console has a partial outage and "
                  "the API is degraded. Your routers and networks are not affected — the device cloud is fully "
                  "operational. The status page is updated every 30 minutes; please retry the console in a little "
                  "while."),
        tool_chat([T_ORDER, T_DEVICE, T_RMA],
                  ["Order NW-577310 included an NW-AX1800 Mesh node, serial NWM8-22LP-5TRE, and it doesn't show up in "
                   "the app at all."],
                  [("lookup_order", {"order_id": "NW-577310"},
                    {"order_id": "NW-577310", "status": "delivered", "delivered_on": "2026-10-09",
                     "items": [{"sku": "NW-AX1800-NODE", "qty": 1, "serial": "NWM8-22LP-5TRE"}]}),
                   ("check_device_status", {"serial": "NWM8-22LP-5TRE"},
                    {"serial": "NWM8-22LP-5TRE", "model": "NW-AX1800 Mesh node", "online": True,
                     "registered_to": "another_account", "firmware": "4.8.1"})],
                  "Good news: the node is online and working. It doesn't appear in your app because it's registered "
                  "to a different Northwind account — usually because the app was signed in with another e-mail "
                  "during setup. Sign in with that account and use Devices > Transfer to move the node to yours, or "
                  "reply here and we'll send a transfer request."),
        tool_chat([T_RESET],
                  ["Reset the password for acct_2B8X1R please, I'm completely locked out."],
                  [("reset_password", {"account_id": "acct_2B8X1R"},
                    {"status": "error", "code": "account_locked",
                     "detail": "Too many failed sign-in attempts; locked until 2026-10-22T14:30:00Z"})],
                  "I couldn't send a reset link yet: the account is temporarily locked after too many failed sign-in "
                  "attempts, until 14:30 UTC today. After that, use 'Forgot password' on the sign-in page or ask me "
                  "again and I'll send the link. If you didn't make those attempts yourself, let us know and we'll "
                  "review the sign-in log with you."),
    ]
    write_jsonl("support/chats_tool_calls.jsonl", [dumps(c) for c in chats])
    return len(chats)


# --------------------------------------------------------------------------------------------- 3. tickets CSV

TICKET_CORE = {
    "billing": [
        "I was charged twice for the {month} invoice on our {plan} plan.",
        "Invoice {inv} lists {seats} seats but we only have {seats_real} active members.",
        "Please add our VAT number to future invoices, we are a registered business in {country}.",
        "The card on file has expired and I can't find where to update it.",
        "We cancelled in {month} but were still billed for the following month.",
        "Why did our monthly price go up from {p1} to {p2} without any notice?",
        "Can future invoices be addressed to our parent company instead of the subsidiary?",
        "The promo code from your newsletter was not applied at checkout.",
        "Requesting a refund for the annual plan we bought by mistake yesterday.",
        "Our bank transfer was sent on {past} but the invoice still shows as unpaid.",
        "Our auditors need copies of every invoice from the last financial year.",
        "The proration on our upgrade invoice looks wrong to me.",
        "Is it possible to switch from monthly to annual billing and keep our current discount?",
        "We were charged in USD although the account is set to EUR.",
        "Our receipt shows the wrong company name and address.",
        "We paid the same invoice twice by mistake and would like the second payment back.",
        "Can invoices go to a shared finance mailbox instead of the account owner?",
    ],
    "technical": [
        "Our {router} reboots every few hours since firmware {fw}.",
        "The 5 GHz network disappears at random while 2.4 GHz stays up.",
        "Port forwarding rules are ignored since the last update.",
        "The Sync client says 'authentication expired' every single morning.",
        "The API returns 500 errors on the /v2/devices endpoint since this morning.",
        "The mesh node upstairs shows as offline in the app but Wi-Fi still works there.",
        "WireGuard clients connect but cannot reach anything on the office subnet.",
        "The Vault backup job for our file server fails with error code E-4012.",
        "The admin console map shows our devices in the wrong city.",
        "Webhook deliveries are arriving up to 30 minutes late.",
        "The guest network splash page never loads on iPhones.",
        "Speed tests on the {router} top out at 300 Mbps on a 1 Gbps line.",
        "nwctl crashes with a segmentation fault on macOS 15.",
        "DHCP reservations are lost whenever the router restarts.",
        "Devices on the guest network can see our office printer.",
        "The Desk chat widget stopped loading on our website after your update.",
        "Vault restores stall at 99% and never finish.",
    ],
    "account": [
        "I can't log in because my authenticator app was on my old phone.",
        "Please transfer workspace ownership to our new IT manager.",
        "How do I remove a former employee who still has admin rights?",
        "Our SSO login loops back to the sign-in page since we changed settings in Entra ID.",
        "I want to change the e-mail address on my account to my new work address.",
        "Please delete my account and all personal data associated with it.",
        "Two accounts were created for the same person, can they be merged?",
        "The password reset e-mail never arrives.",
        "A colleague's account is locked after too many login attempts.",
        "We need to enforce two-factor authentication for all members.",
        "Accepting the invitation link gives me 'workspace not found'.",
        "Can we rename our workspace without breaking existing shared links?",
        "Our audit log shows a login from a country none of us has been to.",
        "How do I give our external accountant access to invoices only?",
        "Our only admin left the company and nobody can manage members any more.",
    ],
    "shipping": [
        "Order {order} has been stuck in 'processing' for five days.",
        "Tracking hasn't updated since the parcel left your warehouse.",
        "The router arrived with a cracked case.",
        "I received an NW-R200 but I ordered the NW-R450 Pro.",
        "Can I change the delivery address for order {order}?",
        "The parcel is marked as delivered but nothing arrived.",
        "Do you ship to Norway, and are customs fees included?",
        "I'd like to return an unopened Beacon 6E.",
        "The power adapter was missing from the box.",
        "Our bulk order of 12 mesh nodes arrived in three parcels and one of them is missing.",
        "The return label link in your e-mail has expired.",
        "Please ship the replacement to our office instead of my home address.",
        "The courier left a card but there is no depot address on it.",
        "Can I collect the order myself instead of waiting for delivery?",
    ],
}
TICKET_SECOND = {
    "billing": ["Please correct this before the next payment run.", "Our finance team needs this fixed by month end.",
                "This is the second time it has happened.", "Our account ID is {acct}.",
                "I have the bank statement showing both charges if you need it."],
    "technical": ["I've already restarted the device twice.", "This affects about {n} people in our office.",
                  "It happens on both Windows and Mac clients.", "A factory reset did not help.",
                  "It started right after the maintenance window on {past}."],
    "account": ["I'm the only admin on the workspace.", "Our account ID is {acct}.",
                "This is blocking onboarding for a new starter today.", "We're on the {plan} plan.",
                "I followed the help article but the option is greyed out."],
    "shipping": ["I need the device before {future}.", "Photos of the box are attached.",
                 "Nobody at the courier's hotline could help.", "It's a gift, so timing matters.",
                 "The order was paid by card on {past}."],
}
TICKET_THIRD = ["Thanks.", "Please advise.", "Any help appreciated!", "Urgent, please.", "Kind regards.",
                "Thank you in advance.", "Please get back to me soon."]
TICKET_PII = {  # data row -> (label, text)
    4: ("billing", "Hi, Grace Whitfield here — we were charged twice for October. Please send the refund "
                   "confirmation to grace.whitfield@example.com."),
    22: ("technical", "Router keeps dropping the connection every evening since the update. Call me on "
                      "+49 40 5550 1876 — Matthias Brandt."),
    37: ("account", "Please reset two-factor authentication for Élodie Marchand (elodie.marchand@example.org), she "
                    "lost her phone."),
    51: ("shipping", "Parcel for Diego Fernández never arrived. The courier can reach me on +34 612 555 019."),
    63: ("shipping", "Priya Raman, +44 161 496 0732: please change the delivery address on my open order."),
}
MALFORMED_ROW = 15
DUP_ROWS = (30, 44)
DUP_LABEL = "account"


def day_name(day: int) -> str:
    """Day number relative to 1 October 2026 -> '29 September', '7 October', '3 November'."""
    if day < 1:
        return f"{30 + day} September"
    return f"{day} October" if day <= 31 else f"{day - 31} November"


def tickets_file() -> dict:
    n_rows = 70
    labels = ["billing"] * 18 + ["technical"] * 18 + ["account"] * 17 + ["shipping"] * 17
    for row, (label, _) in TICKET_PII.items():
        labels.remove(label)
    labels.remove("shipping")  # the malformed row 15 is a shipping ticket
    labels.remove(DUP_LABEL)  # rows 30 and 44 share one text and label
    labels.remove(DUP_LABEL)
    rng.shuffle(labels)
    label_iter = iter(labels)
    cores = {k: rng.sample(v, len(v)) for k, v in TICKET_CORE.items()}
    used: set[str] = set()
    minutes = sorted(rng.sample(range(0, 31 * 24 * 60), n_rows))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["ticket_id", "created", "text", "label"])
    rows: dict[int, tuple[str, str]] = {}
    for r in range(1, n_rows + 1):
        m = minutes[r - 1]
        tid = f"T-{26100 + r}"
        day = m // 1440 + 1
        created = f"2026-10-{day:02d} {m % 1440 // 60:02d}:{m % 60:02d}"
        if r == MALFORMED_ROW:
            text = "Router arrived damaged, the box was crushed"
            out.write(f"{tid},{created},{text},shipping\n")  # unquoted comma -> 5 fields
            rows[r] = ("shipping", text)
            continue
        if r in TICKET_PII:
            label, text = TICKET_PII[r]
        elif r == DUP_ROWS[1]:
            label, text = rows[DUP_ROWS[0]]
        else:
            label = DUP_LABEL if r == DUP_ROWS[0] else next(label_iter)
            while True:
                pool = cores[label]
                assert pool, f"not enough distinct {label} ticket openings"
                core = pool.pop()
                parts = [core]
                k = rng.choice([1, 2, 2, 3])
                if k >= 2:
                    parts.append(rng.choice(TICKET_SECOND[label]))
                if k == 3 or (k == 1 and rng.random() < 0.3):
                    parts.append(rng.choice(TICKET_THIRD))
                slots = {"month": rng.choice(["August", "September"]),
                         "plan": rng.choice(["Team", "Business", "Enterprise"]),
                         "inv": f"INV-2026-{rng.randint(100, 999):04d}", "seats": rng.randint(12, 30),
                         "country": rng.choice(["Austria", "Belgium", "the Netherlands", "Ireland", "Portugal"]),
                         "p1": "€240", "p2": "€276", "past": day_name(day - rng.randint(1, 6)),
                         "future": day_name(day + rng.randint(3, 12)),
                         "router": rng.choice(ROUTERS_HOME), "fw": f"4.{rng.randint(5, 8)}.{rng.randint(0, 9)}",
                         "acct": f"acct_{rng.randint(10000, 99999)}", "n": rng.randint(5, 60),
                         "order": f"NW-{rng.randint(300000, 899999)}"}
                slots["seats_real"] = slots["seats"] - rng.randint(2, 5)
                text = " ".join(parts).format_map(slots)
                if text not in used:
                    break
        assert r == DUP_ROWS[1] or text not in used, text
        used.add(text)
        rows[r] = (label, text)
        writer.writerow([tid, created, text, label])
    assert next(label_iter, None) is None
    write_text("tickets/tickets_export.csv", out.getvalue())
    counts: dict[str, int] = {}
    for label, _ in rows.values():
        counts[label] = counts.get(label, 0) + 1
    return {"labels": counts, "dup_text": rows[DUP_ROWS[0]][1]}


# --------------------------------------------------------------------------------------------- 4. Alpaca FAQ sheet

FAQ = [
    ("Explain what the amber LED on a Northwind router means.", "",
     "A slow amber blink means the router is powered and broadcasting Wi-Fi but has no internet connection. A fast "
     "amber blink means a firmware update is being installed — don't unplug the router. A solid amber light means the "
     "router failed to start; unplug it for ten seconds and, if it stays amber, contact support."),
    ("List the steps to add a new member to a Northwind Cloud workspace.", "",
     "1. Sign in to the Admin Console as an admin.\n2. Open Members and click Invite.\n3. Enter the person's work "
     "e-mail address and choose a role (Member, Billing admin or Admin).\n4. Click Send invitation.\n5. The person "
     "accepts the e-mail invitation, which assigns them a seat; the seat is billed pro rata."),
    ("Summarise the following customer message in one sentence.",
     "Hi, so last week we upgraded to the Business plan because we needed SSO, and that part works, but now half of "
     "my team can't open shared folders in Sync, they get an 'access denied' message, and the other half can. We "
     "didn't change any permissions. Can you help?",
     "Since upgrading to Business for SSO, about half the team gets 'access denied' on shared Sync folders even "
     "though no permissions were changed."),
    ("Write a short e-mail telling a customer that their router replacement has shipped.",
     "Order: NW-733105, carrier: UPS, tracking: 1Z999AA10123456784",
     "Subject: Your replacement router is on its way\n\nHello,\n\nGood news — the replacement for order NW-733105 "
     "has shipped with UPS. You can follow it with tracking number 1Z999AA10123456784.\n\nOnce it arrives, the "
     "prepaid label in the box lets you send the old unit back free of charge within 30 days.\n\nBest regards,\n"
     "Northwind Cloud Support"),
    ("Convert this download speed from megabits per second to megabytes per second.", "480 Mbps",
     "480 Mbps ÷ 8 = 60 MB/s (megabytes per second)."),
    ("Explain the difference between the Team and Business plans in plain language.", "",
     "Team is for small groups that need shared files and basic admin controls. Business adds what growing companies "
     "need: single sign-on, longer version history in Vault (180 days instead of 30), audit logs, higher API limits "
     "and priority support. Both are billed per seat."),
    ("Rewrite this support reply so it sounds friendlier.",
     "Your ticket is closed. The problem was on your side. Reset the router.",
     "Thanks for your patience! We've looked into it and the issue seems to be with the router's local settings "
     "rather than our service. A quick reset should sort it out — and if it doesn't, just reply and we'll keep "
     "digging with you."),
    ("Classify the ticket into billing, technical, account or shipping.",
     "The box arrived but the power adapter is missing.", "shipping"),
    ("Classify the ticket into billing, technical, account or shipping.",
     "I can't sign in since I changed phones and lost my authenticator.", "account"),
    ("Convert the following list of router settings into a JSON object.",
     "SSID: Northwind-Office\nBand: 5 GHz\nChannel: 44\nWidth: 80 MHz\nGuest network: off",
     '{"ssid": "Northwind-Office", "band": "5 GHz", "channel": 44, "width_mhz": 80, "guest_network": false}'),
    None,  # index 10: exact duplicate of index 2 (planted)
    ("Write a troubleshooting checklist for a customer whose Wi-Fi is slow in one room only.", "",
     "- Check the distance and walls between the router and the room; concrete and mirrors absorb a lot of signal.\n"
     "- Run a speed test next to the router to confirm the line itself is fine.\n- Move the router off the floor and "
     "away from metal shelves.\n- Try the 5 GHz network up close and 2.4 GHz further away.\n- If the room is far, add "
     "an NW-AX1800 Mesh node halfway between."),
    ("Translate this status update into German.",
     "We are investigating slow response times in the admin console. Devices are not affected.",
     "Wir untersuchen derzeit langsame Antwortzeiten in der Admin-Konsole. Geräte sind nicht betroffen."),
    ("Explain what a prorated charge is, using a seat added mid-month as the example.", "",
     "A prorated charge is a partial charge for part of a billing period. If a seat costs €30 per month and you add "
     "it halfway through a 30-day month, you pay about €15 for the remaining 15 days; from the next month on you pay "
     "the full €30."),
    ("Write a one-line status page message announcing planned maintenance.",
     "Region eu-west, Sunday 04:00–05:00 UTC, console read-only",
     "Planned maintenance: on Sunday from 04:00 to 05:00 UTC the admin console in eu-west will be read-only; routers "
     "and networks keep working normally."),
    ("Give three tips for choosing a strong Wi-Fi password.", "",
     "1. Use at least 12 characters — a short phrase of unrelated words works well.\n2. Don't reuse a password you "
     "use anywhere else.\n3. Avoid names, addresses or dates that visitors could guess from your home."),
    ("Extract the order number and the problem from this message.",
     "Hello, order NW-601882 arrived today but the mesh node won't pair, the light stays blue.",
     "Order number: NW-601882\nProblem: the mesh node won't pair; the light stays blue."),
    ("Explain why a router might show a WAN address starting with 100.64.", "",
     "Addresses from 100.64.0.0 to 100.127.255.255 are reserved for carrier-grade NAT. If your router's WAN address "
     "falls in that range, your ISP shares a public IPv4 address between several customers, so incoming connections "
     "such as port forwards can't reach you."),
    ("Write a polite reply declining a refund request for a plan used for eight months.", "",
     "Thank you for your message. I understand the plan hasn't been a perfect fit. Annual plans can be refunded pro "
     "rata within the first six months; as your plan has been active for eight months, we're unable to refund it. "
     "What we can do is switch you to a smaller plan at your next renewal so you only pay for what you use."),
    ("List the information support needs to open a hardware warranty claim.", "",
     "- The order number or the serial number from the device label\n- A short description of the fault and when "
     "it started\n- What you've already tried (restart, other cable, other power adapter)\n- The delivery address "
     "for the replacement"),
    ("Convert these local times to UTC.", "Maintenance: 02:00–03:00 CET (Berlin), on 5 November",
     "On 5 November Berlin is on CET (UTC+1), so the maintenance runs from 01:00 to 02:00 UTC."),
    ("Summarise the Vault retention rules per plan as a short table.", "",
     "| Plan | Deleted files kept | Version history |\n|---|---|---|\n| Team | 30 days | 30 days |\n| Business | "
     "180 days | 180 days |\n| Enterprise | custom policy, up to 10 years | custom policy, up to 10 years |"),
    ("Explain what the 'Require approval for new devices' option does.", "",
     "When it's on, any device that joins the network for the first time is held in a waiting state until an admin "
     "approves it in the Northwind Home app. It stops unknown devices — including ones with a changed MAC address — "
     "from getting online silently."),
    ("Write a tweet-length reply to a customer who says the console is down.", "",
     "Sorry for the trouble! We're aware of console issues in eu-central and are working on a fix. Your routers are "
     "unaffected. Live updates: status.northwind.example"),
    ("Rewrite the sentence in British English.", "Please analyze the color settings on your router's center panel.",
     "Please analyse the colour settings on your router's centre panel."),
    ("Write an e-mail confirming that a customer's data export is ready.", "",
     "Dear {{customer_name}},\n\nThe personal data export you requested is ready. You can download it from the "
     "Admin Console under Members > Privacy > Exports for the next seven days.\n\nIf you didn't request this "
     "export, please let us know straight away.\n\nKind regards,\nNorthwind Cloud Support"),
    ("Explain in two sentences why webhook signatures must be checked against the raw body.", "",
     "The signature is calculated over the exact bytes Northwind sent, and re-serialising parsed JSON can change "
     "spacing or key order. Any change, however small, produces a different HMAC, so verification fails."),
    ("List the steps to restore a deleted folder with Northwind Vault.", "",
     "1. Open the Vault web app and go to Restore.\n2. Browse to the folder that contained the deleted folder.\n"
     "3. Switch the view to 'Show deleted'.\n4. Select the folder and choose Restore to original location.\n5. Wait "
     "for the confirmation e-mail if the folder is large."),
    ("Answer yes or no, then give one reason: can a Team plan use SAML single sign-on?", "",
     "No — SAML single sign-on is included only in the Business and Enterprise plans."),
    ("Write a short FAQ entry about shipping to Switzerland.", "",
     "Do you ship to Switzerland?\nYes. Orders ship from our EU warehouse and the checkout price already includes "
     "Swiss VAT and import duties, so there's nothing to pay on delivery. Expect four to six working days."),
    ("Turn these notes into a release note paragraph.",
     "fw 4.8.2; fixes 5 GHz drop on Beacon 6E; faster boot (-20%); new: WPA3 transition mode default",
     "Firmware 4.8.2 fixes the random 5 GHz disconnects some Beacon 6E users saw, boots about 20% faster and turns "
     "on WPA3 transition mode by default, so newer devices use WPA3 while older ones can still connect."),
    ("Explain the difference between a mesh node and a range extender.", "",
     "A range extender repeats the signal of your router and usually creates a second network, halving speed with "
     "each hop. A mesh node joins one shared network, hands devices over seamlessly as you move around, and uses a "
     "dedicated backhaul so speed drops far less."),
    ("Convert the price to a yearly amount.", "Business plan: €22 per seat per month, 15 seats",
     "€22 × 15 seats × 12 months = €3,960 per year."),
    ("Write three subject lines for an e-mail about a firmware update.", "",
     "1. Firmware 4.8.2 is ready for your router\n2. A faster, steadier Wi-Fi update is here\n3. Action not "
     "needed: your router updates tonight"),
    ("Identify what is wrong with this DNS record for status page verification.",
     "TXT  _nw-verify.status.example.com.example.com  \"nw-7f3a91\"",
     "The host name contains the domain twice. The DNS provider appends example.com automatically, so the name "
     "should be entered as _nw-verify.status only."),
    ("Explain what a captive portal is to a café owner.", "",
     "A captive portal is the page guests see when they first join your Wi-Fi, before they can browse. You can use it "
     "to show your terms, a welcome message or the Wi-Fi rules, and guests tap 'Accept' to get online."),
    ("List what happens when a workspace subscription is cancelled.", "",
     "- The plan stays active until the end of the paid period.\n- After that, the workspace becomes read-only for "
     "30 days so data can be exported.\n- After 30 days the workspace and its files are deleted.\n- Invoices remain "
     "available to the account owner."),
    ("Rewrite this into a numbered list of steps.",
     "First unplug the router, then wait ten seconds, plug it back in, wait for the white light and then run a speed "
     "test from the app.",
     "1. Unplug the router.\n2. Wait ten seconds.\n3. Plug it back in.\n4. Wait for the white light.\n5. Run a speed "
     "test from the app."),
    ("Write a brief apology for a delayed delivery.", "Delay: 3 days, cause: carrier backlog",
     "We're sorry your order is running three days late. Our carrier is working through a backlog, and your parcel "
     "is moving again. Thank you for your patience — you'll get a tracking update as soon as it's out for delivery."),
    ("Explain why a router's 2.4 GHz band reaches further than 5 GHz.", "",
     "Lower-frequency radio waves lose less energy passing through walls and over distance, so 2.4 GHz covers more "
     "ground. 5 GHz carries more data but fades faster, which is why it's best near the router."),
]
FAQ_DUP_OF = 2
FAQ_PLACEHOLDER = 25


def faq_file() -> int:
    items = []
    for i, entry in enumerate(FAQ):
        if entry is None:
            entry = FAQ[FAQ_DUP_OF]
        instruction, inp, output = entry
        items.append({"instruction": instruction, "input": inp, "output": output})
    assert len(items) == 40 and items[10] == items[2] and "{{customer_name}}" in items[FAQ_PLACEHOLDER]["output"]
    write_text("instructions/faq_sheet.json", json.dumps(items, ensure_ascii=False, indent=2) + "\n")
    return len(items)


# --------------------------------------------------------------------------------------------- 5. style guide

STYLE = [
    ("Rewrite in Northwind support style: ur router is broken, send it back",
     "Sorry to hear your router isn't working. Please send it back using the prepaid label we'll e-mail you, and "
     "we'll ship a replacement as soon as the carrier scans the parcel."),
    ("Shorten this reply to two sentences: Thank you very much for contacting Northwind Cloud support today. We "
     "really appreciate your patience. We have looked into your issue in great detail and found that your invoice "
     "was in fact correct, because the additional amount is due to seats added in the middle of the month.",
     "Thanks for your patience while we checked. Your invoice is correct: the extra amount is for seats added "
     "mid-month, charged pro rata."),
    ("Replace jargon with plain language: Your WAN interface has no carrier, please verify L1 connectivity.",
     "Your router isn't getting a signal from your modem. Please check that the cable between them is plugged in "
     "firmly at both ends."),
    ("How should support agents address customers whose name is unknown?",
     "Use a neutral greeting such as 'Hello' or 'Hi there'. Never guess a name or a gender from an e-mail address."),
    ("Write the standard closing line for a resolved ticket.",
     "Glad we could sort this out! If anything else comes up, just reply to this message and it will reach us."),
    ("Rewrite to avoid blaming the customer: You configured the VPN wrong.",
     "It looks like the VPN settings don't quite match what the gateway expects. Let's go through them together."),
    ("Make this apology sound sincere but brief: We apologize for any inconvenience this may have caused.",
     "We're sorry this got in the way of your day — thanks for bearing with us."),
    ("What tone should be used in outage communications?",
     "Calm, factual and specific: say what is affected, what isn't, what we're doing and when the next update comes. "
     "Avoid speculation and never promise a fix time we can't keep."),
    ("Rewrite with a clear next step: We have received your request.",
     "We've received your request and a specialist will reply within one business day with the next steps."),
    ("Convert the passive voice to active voice: The refund has been processed by our billing team.",
     "Our billing team has processed your refund."),
    ("Should support replies use exclamation marks?",
     "Sparingly — one in a friendly opening or closing is fine. Never use them when delivering bad news."),
    ("Rewrite to avoid a wall of text: To reset your router first make sure it is on then find the small hole on "
     "the back then press it with a paperclip for ten seconds until the light flashes amber and wait.",
     "To reset your router:\n1. Make sure it's switched on.\n2. Press the recessed button on the back with a "
     "paperclip for ten seconds.\n3. Wait until the light flashes amber, then give it two minutes to restart."),
    ("How do we refer to our products in customer replies?",
     "Use the full product name the first time (for example 'Northwind Vault' or 'NW-AX1800 Mesh'), then a short "
     "form such as 'Vault' or 'the mesh node'. Never use internal code names."),
    ("Rewrite so it doesn't promise too much: We will definitely fix this by tomorrow.",
     "Our engineers are working on a fix, and we'll update you by tomorrow midday at the latest."),
    ("Write a reply declining to share another customer's information.",
     "For privacy reasons we can't share details about another customer's account. If you're working with them, "
     "they can add you to their workspace so you can see what you need."),
]


def style_file() -> int:
    write_jsonl("instructions/style_guide.jsonl", [dumps({"prompt": p, "completion": c}) for p, c in STYLE])
    return len(STYLE)


# --------------------------------------------------------------------------------------------- 6. preference pairs

PREFS = [
    ("My router keeps disconnecting. What should I do?",
     "Sorry about the dropouts. First, restart the modem and then the router. If it keeps happening, check the "
     "Internet status page in the Northwind Home app — it shows whether the connection is dropping on your ISP's "
     "side or on the Wi-Fi — and tell us what you see so we can dig in.",
     "Restart it."),
    ("Can I get a refund for last month?",
     "I'm happy to look into it. Refunds depend on your plan and why you're asking — could you tell me what went "
     "wrong last month? If it was an outage on our side, you're covered by our service credit policy.",
     "No refunds."),
    ("How do I enable two-factor authentication?",
     "Go to Profile > Security, click 'Set up two-factor authentication' and scan the QR code with an authenticator "
     "app. Save the recovery codes somewhere safe — they're your way back in if you lose your phone.",
     "Just google it, it's in settings somewhere."),
    ("Is my data stored in the EU?",
     "If your workspace was created in the EU region, yes: data is stored in Frankfurt with backups in Dublin. You "
     "can check under Settings > General > Data location.",
     "All our data is stored in the US, there is no EU option."),
    ("Why was I charged more this month?",
     "Let's check together. The most common reason is seats added during the month, which are charged pro rata. "
     "Billing > Invoices shows each line item; if something looks wrong, send me the invoice number and I'll explain "
     "it line by line.",
     "Because you used more. Check your invoice."),
    ("Does the NW-R200 support Wi-Fi 6?",
     "The NW-R200 supports Wi-Fi 5 (802.11ac). If you need Wi-Fi 6, the NW-R450 Pro and the NW-AX1800 Mesh both "
     "support it, and the Beacon 6E adds the 6 GHz band.",
     "Yes, all our routers support Wi-Fi 6E."),
    ("I've been waiting two weeks for my order!",
     "I'm really sorry — two weeks is far too long. Could you share your order number? I'll check where it is right "
     "now, and if it's lost we'll send a replacement immediately.",
     "Shipping takes time. Please wait."),
    ("How do I export all my files from Sync?",
     "In the Sync web app, open Settings > Export and choose 'All files'. You'll get an e-mail with a download link "
     "once the archive is ready; large accounts may take a few hours.",
     "You can't export files from Sync."),
    ("What does a blinking white light mean?",
     "A blinking white light means the router is starting up or applying new settings. It usually turns solid white "
     "within two minutes; if it keeps blinking longer than five, restart it and let us know.",
     "A blinking white light means the router is starting up or applying new settings. It usually turns solid white "
     "within two minutes; if it keeps blinking longer than five, restart it and let us know."),
    ("Can I use my own modem with Northwind routers?",
     "Yes. Connect your modem's Ethernet port to the router's yellow WAN port. If your modem also routes, put it in "
     "bridge mode to avoid double NAT — your ISP's documentation explains how.",
     "No, you must buy our modem."),
    ("How many devices can the Beacon 6E handle?",
     "The Beacon 6E is designed for up to 120 connected devices at once. For large homes or busy offices, adding a "
     "mesh node spreads the load and keeps speeds up.",
     "Unlimited."),
    ("Our API key was leaked in a public repo. What now?",
     "Thanks for acting quickly. Revoke the key immediately under Developers > API keys, create a new one and update "
     "your integration. Then check Security > Audit log for requests made with the old key; if you see anything "
     "unexpected, tell us and we'll help you investigate.",
     "That's your responsibility, not ours."),
    ("Can I change my plan mid-month?",
     "Yes. Upgrades take effect immediately and are prorated; downgrades apply at the start of the next billing "
     "period so you keep what you paid for until then.",
     "Plan changes are only possible once a year."),
    ("Why is my Vault backup failing?",
     "",
     "Backups fail sometimes."),
    ("How do I set up a guest network?",
     "In the admin page go to Wireless > Guest network and switch it on. You can set a separate password or a splash "
     "page, and guests are kept apart from your own devices automatically.",
     "Guest networks are a security risk, don't use one."),
    ("Can you call me instead of writing?",
     "Of course. Business and Enterprise customers can book a call from the Help menu in the Admin Console; on other "
     "plans we support by chat and e-mail, and we'll do our best to resolve things just as quickly here.",
     "We don't do phone calls."),
    ("The app says my router is offline but Wi-Fi works.",
     "That usually means the router can reach the internet but not our device cloud — often a firewall or DNS "
     "filter. Try restarting the router; if the app still shows it offline, check that outbound port 443 to "
     "*.northwind.example is allowed.",
     "Then it's offline. Buy a new router."),
    ("Is there a student discount?",
     "We don't have a student discount at the moment, but the Starter plan is free for personal use with up to "
     "three devices, which covers most students' needs.",
     "Students get 90% off everything."),
    ("How long does a return refund take?",
     "Once the parcel reaches our warehouse, we check it within two business days and refund the original payment "
     "method. Depending on your bank, the money shows up three to five business days later.",
     "Whenever it's processed."),
    ("Can I move my router settings to a new Northwind router?",
     "Yes. On the old router use Settings > System > Backup to download a .nwcfg file, then on the new router choose "
     "Restore and upload it. Settings carry over between models of the same generation.",
     "No, you have to set everything up from scratch every time."),
]


def prefs_file() -> int:
    assert PREFS[8][1] == PREFS[8][2] and PREFS[13][1] == ""
    write_jsonl("preferences/reply_pairs.jsonl",
                [dumps({"prompt": p, "chosen": c, "rejected": r}) for p, c, r in PREFS])
    return len(PREFS)


# --------------------------------------------------------------------------------------------- 7. invoice extraction

EXTRACT_SYSTEM = ("Extract the invoice fields as JSON with exactly these keys: invoice_number, vendor, total (a "
                  "number), currency (EUR, USD, GBP or CHF) and due_date (YYYY-MM-DD). Reply with the JSON only.")
VENDORS = [
    ("Fjordline Logistics GmbH", "de"), ("Kestrel Print Studio Ltd", "en_gb"), ("Atelier Brume SARL", "fr"),
    ("Bluehaven Hosting Inc.", "en_us"), ("Alpenblick Elektronik AG", "ch"), ("Copperleaf Office Supplies Ltd", "en_gb"),
    ("Nordlicht Kabel GmbH", "de"), ("Cascade Data Systems LLC", "en_us"), ("Solstice Traduction SAS", "fr"),
    ("Ironbridge Facilities Ltd", "en_gb"), ("Tannenhof Catering GmbH", "de"), ("Redwood Analytics Corp.", "en_us"),
    ("Lumière Packaging SA", "fr"), ("Matterhorn Consulting GmbH", "ch"), ("Pinecrest Telecom Ltd", "en_gb"),
    ("Orchid Cloud Security Inc.", "en_us"), ("Brückner Verpackung GmbH", "de"), ("Harbourview Legal LLP", "en_gb"),
    ("Gletscher Software AG", "ch"), ("Maple & Finch Design LLC", "en_us"),
]
ITEMS = ["Warehousing, October", "Printed router quick-start guides (5,000)", "Packaging design, phase 2",
         "Dedicated server rental, Q4", "Replacement power supplies (200 pcs)", "Office supplies, October",
         "Cat 6 patch cables (1,500)", "Log analytics subscription", "Translation of setup guides (FR/ES/IT)",
         "Facility management, October", "Team offsite catering", "Churn analysis project",
         "Retail boxes for Beacon 6E", "Data protection audit", "SIP trunk and call minutes", "Penetration test",
         "Foam inserts for mesh kits", "Contract review", "Firmware signing service", "Website redesign"]
MONTHS_EN = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
             "November", "December"]
MONTHS_FR = ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
             "novembre", "décembre"]
INVALID_JSON_LINE = 6
MISSING_TOTAL_LINE = 11


def fmt_num(x: float, thousands: str, decimal: str) -> str:
    s = f"{x:,.2f}"
    return s.replace(",", "\0").replace(".", decimal).replace("\0", thousands)


def invoice_file() -> int:
    lines = []
    for i, ((vendor, style), item) in enumerate(zip(VENDORS, ITEMS), start=1):
        net = round(rng.uniform(60, 9000), 2)
        issue_d = rng.randint(1, 28)
        due_m, due_d = rng.choice([(11, rng.randint(1, 30)), (12, rng.randint(1, 31))])
        issue = f"2026-10-{issue_d:02d}"
        due = f"2026-{due_m:02d}-{due_d:02d}"
        if style == "de":
            rate, currency = 0.19, "EUR"
            num = f"RE-2026-{rng.randint(100, 999)}"
            total = round(net * (1 + rate), 2)
            text = (f"{vendor}\nRechnung Nr. {num}\nRechnungsdatum: {issue_d:02d}.10.2026\nLeistung: {item}\n"
                    f"Nettobetrag: {fmt_num(net, '.', ',')} €\nUSt. 19 %: {fmt_num(total - net, '.', ',')} €\n"
                    f"Gesamtbetrag: {fmt_num(total, '.', ',')} €\nZahlbar bis: {due_d:02d}.{due_m:02d}.2026")
        elif style == "fr":
            rate, currency = 0.20, "EUR"
            num = f"F2026/{rng.randint(1000, 9999)}"
            total = round(net * (1 + rate), 2)
            text = (f"FACTURE N° {num}\nÉmetteur : {vendor}\nDate : {issue_d} octobre 2026\nDésignation : {item}\n"
                    f"Total HT : {fmt_num(net, ' ', ',')} €\nTVA 20 % : {fmt_num(total - net, ' ', ',')} €\n"
                    f"Total TTC : {fmt_num(total, ' ', ',')} €\nÉchéance : {due_d} {MONTHS_FR[due_m - 1]} 2026")
        elif style == "ch":
            rate, currency = 0.081, "CHF"
            num = f"{rng.randint(2026000, 2026999)}"
            total = round(net * (1 + rate), 2)
            text = (f"Rechnung {num}\n{vendor}, Zürich\nPosition: {item}\nZwischensumme CHF "
                    f"{fmt_num(net, chr(39), '.')}\nMWST 8.1 % CHF {fmt_num(total - net, chr(39), '.')}\n"
                    f"Total CHF {fmt_num(total, chr(39), '.')}\nZahlbar bis {due_d:02d}.{due_m:02d}.2026")
        elif style == "en_gb":
            rate, currency = 0.20, "GBP"
            num = f"INV-2026-{rng.randint(100, 999):04d}"
            total = round(net * (1 + rate), 2)
            layout = rng.choice(["formal", "email"])
            if layout == "formal":
                text = (f"INVOICE\n{vendor}\nInvoice no.: {num}\nInvoice date: {issue_d} October 2026\nBill to: "
                        f"Northwind Cloud Ltd, Accounts Payable\n\n{item:<45} £{net:,.2f}\nVAT 20%{'':<38} "
                        f"£{total - net:,.2f}\nTOTAL DUE{'':<36} £{total:,.2f}\n\nPayment due by {due_d} "
                        f"{MONTHS_EN[due_m - 1]} 2026.")
            else:
                text = (f"Fwd: Your invoice from {vendor}\n\nHi team, please find our invoice {num} for {item}. The "
                        f"amount payable is £{total:,.2f} including VAT, due on {due_d} {MONTHS_EN[due_m - 1]} 2026.\n"
                        f"Many thanks,\nAccounts, {vendor}")
        else:  # en_us
            rate, currency = 0.0, "USD"
            num = rng.choice([f"A-{rng.randint(10000, 99999)}", f"INV{rng.randint(100000, 999999)}"])
            total = net
            layout = rng.choice(["table", "ocr"])
            if layout == "table":
                text = (f"| Field | Value |\n|---|---|\n| Supplier | {vendor} |\n| Doc # | {num} |\n| Description | "
                        f"{item} |\n| Grand total | USD {total:,.2f} |\n| Due | {due_m:02d}/{due_d:02d}/2026 |")
            else:
                text = (f"{vendor.upper()} .... INVOICE {num} .... {item.upper()} .... AMOUNT DUE ${total:,.2f} "
                        f".... DUE DATE {MONTHS_EN[due_m - 1][:3].upper()} {due_d}, 2026 .... THANK YOU")
        record = {"invoice_number": num, "vendor": vendor, "total": total, "currency": currency, "due_date": due}
        if i == INVALID_JSON_LINE:
            answer = dumps(record)[:-1] + ",}"  # trailing comma: not JSON
        elif i == MISSING_TOTAL_LINE:
            answer = dumps({k: v for k, v in record.items() if k != "total"})
        else:
            answer = dumps(record)
        lines.append(dumps({"messages": [{"role": "system", "content": EXTRACT_SYSTEM},
                                         {"role": "user", "content": text},
                                         {"role": "assistant", "content": answer}]}))
    write_jsonl("extraction/invoice_extraction.jsonl", lines)
    schema = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "invoice.schema.json",
        "title": "Extracted invoice fields",
        "type": "object",
        "properties": {
            "invoice_number": {"type": "string", "minLength": 1},
            "vendor": {"type": "string", "minLength": 1},
            "total": {"type": "number"},
            "currency": {"type": "string", "enum": ["EUR", "USD", "GBP", "CHF"]},
            "due_date": {"type": "string", "format": "date"},
        },
        "required": ["invoice_number", "vendor", "total", "currency", "due_date"],
        "additionalProperties": False,
    }
    write_text("extraction/invoice.schema.json", json.dumps(schema, indent=2) + "\n")
    return len(lines)


# --------------------------------------------------------------------------------------------- 8. ShareGPT escalations

ESCALATIONS = [
    ["Third router in two months and it's dead AGAIN. I want my money back, not another replacement.",
     "I completely understand — three failures is not acceptable, and I'm sorry. I've escalated this to our hardware "
     "team lead. Since you've had repeated failures, you're eligible for a full refund instead of a replacement. "
     "Would you like the refund to your original card?",
     "Yes, refund to the card. And I want to know why they keep failing.",
     "The refund is approved and will reach your card within five business days. The returned units go to our lab; "
     "all three failed the same way, which suggests a power issue at the socket or a faulty surge protector. We'll "
     "share the lab result with you by e-mail."],
    ["Your outage yesterday cost us a full day of sales. What compensation are you offering?",
     "I'm very sorry about yesterday's outage. Under our service level agreement, Business customers receive a "
     "service credit of 10% of the monthly fee for availability below 99.9%, and 25% below 99%. Yesterday's incident "
     "puts your workspace in the 25% tier, which I've applied to your next invoice.",
     "A quarter of a month's fee doesn't come close to what we lost.",
     "I understand, and I've passed your feedback to your account manager, who will call you tomorrow. Our terms "
     "don't cover lost revenue, but she can talk through the incident report and the changes we're making so it "
     "doesn't happen again."],
    ["I just got an e-mail about a login from Brazil on our admin account. None of us is in Brazil. Are we hacked?",
     "Thanks for reporting it straight away. Please do three things now: change the password of that admin account, "
     "sign out all sessions under Profile > Security, and check that two-factor authentication is on. I'm escalating "
     "to our security team to review the sign-in.",
     "Done. 2FA was off on that account.",
     "Thanks — that's likely how it happened. Our security team confirmed the login used the correct password but "
     "did nothing beyond viewing the dashboard. We strongly recommend enforcing 2FA for all admins under Security > "
     "Authentication."],
    ["We cancelled in August and you charged us again in October. This is the second time I'm writing about it.",
     "I'm sorry you've had to chase this twice. I can see the cancellation request from August; it wasn't applied "
     "because it was sent by a member without billing rights, which is our mistake for not telling you. I've "
     "cancelled the subscription now and refunded September and October in full.",
     "Fine. Please make sure nobody contacts us about renewing.",
     "Understood. I've marked the account as closed and opted it out of all sales and renewal messages."],
    ["Three of our Sync users lost a week of work after the desktop client update. We need those files back.",
     "That's serious, and I'm treating it as urgent. Files removed by the client are kept in the server-side trash "
     "and in version history. Could you tell me the three users' workspace roles and the folder names involved?",
     "Marketing folder and the Q4 plans folder. All three are regular members.",
     "Thank you. I've restored both folders to their state before the update, including all versions from the last "
     "seven days. Engineering has also pulled the client update while they investigate. I'll follow up with their "
     "findings."],
    ["Your website says the NW-R450 Pro does 'up to 3 Gbps'. I get 400 Mbps. That's false advertising.",
     "I hear you. '3 Gbps' is the combined theoretical rate across all bands, and real-world speeds to a single "
     "device are much lower — our product page should explain that better, and I've passed that on. Let's see what "
     "your connection can actually reach: what speed is your internet plan?",
     "500 Mbps from the ISP.",
     "Then 400 Mbps over Wi-Fi is actually in the expected range — most plans deliver about 85–95% of the advertised "
     "speed over cable, and Wi-Fi adds some overhead. If you'd still like to return the router, you're within the "
     "30-day window and I'll send you a prepaid label."],
    ["Our Enterprise contract says 4-hour response for critical tickets. We waited 11 hours last night.",
     "You're right, and I apologise. The ticket was classified as 'high' instead of 'critical' by our intake, so the "
     "on-call team wasn't paged. I've escalated this to the support director.",
     "What are you going to do about it?",
     "Three things: the missed response triggers the SLA credit in your contract, which we'll apply this month; "
     "critical tickets from Enterprise accounts now page on-call regardless of classification; and your account "
     "manager will review the incident with you this week."],
    ["The parcel was lost, you sent a replacement, and that one was lost too. I have no internet for my home office.",
     "I'm really sorry — that's an awful experience. I've arranged a replacement by express courier with a signature "
     "requirement, shipping today, and refunded the shipping charge.",
     "How do I work until it arrives?",
     "Most mobile plans let you use your phone as a hotspot. If you're on a Northwind Business plan, I can also add "
     "a month of free mobile backup data to your account while we sort this out — just say yes.",
     "Yes please.",
     "Done. The backup data is active now, and the express tracking link is on its way to you."],
    ["The admin console is unusable with a screen reader. Half the buttons have no labels.",
     "Thank you for telling us, and I'm sorry. Accessibility is something we have to get right. Which screen reader "
     "and browser are you using, and which pages are worst?",
     "NVDA with Firefox. Members and Billing are the worst.",
     "Thanks. I've filed this with the accessibility team with those details; unlabelled buttons on Members and "
     "Billing are now tracked as a priority bug. I'll update you when the fix ships, and in the meantime every "
     "action on those pages is also available in the API or via support."],
    ["We were told the API change would be backwards compatible. Our integration broke this morning.",
     "I'm sorry — that shouldn't have happened. Can you share the endpoint and the error response you're seeing?",
     "GET /v2/devices now returns 'serial_number' instead of 'serial'.",
     "Thank you, that's a regression: the old field should still be present. Engineering has restored 'serial' "
     "alongside the new field, and the fix is live now. We'll publish a postmortem and a longer deprecation window "
     "for the old field."],
    ["I asked for my account to be deleted a month ago and I still get your marketing e-mails.",
     "I'm sorry, that's not how it should work. I can see your deletion was completed, but a separate marketing list "
     "wasn't updated. I've removed your address from every list now.",
     "I want written confirmation that all my data is gone.",
     "Of course. Our privacy team will send a written confirmation of deletion within five business days, listing "
     "what was removed and what we must keep by law, such as invoices."],
    ["Your technician was supposed to come between 8 and 12. It's 3pm and nobody showed up.",
     "I'm sorry you lost your whole day waiting. The partner's dispatch system shows the visit was moved without "
     "telling you. I've escalated with the partner and booked the first slot tomorrow at 8am with a call-ahead.",
     "I can't take another day off.",
     "Understood. I've cancelled tomorrow's slot. Would a Saturday morning suit you? We cover the weekend surcharge, "
     "and I've added a credit to your account for today.",
     "Saturday works.",
     "Booked for Saturday, 9:00–11:00. The technician will call 30 minutes before arriving."],
]


def sharegpt_file() -> int:
    items = [{"id": f"esc-{i}", "conversations": [{"from": "human" if j % 2 == 0 else "gpt", "value": v}
                                                   for j, v in enumerate(turns)]}
             for i, turns in enumerate(ESCALATIONS, start=1)]
    assert all(len(x["conversations"]) >= 4 and len(x["conversations"]) % 2 == 0 for x in items)
    write_text("escalations/sharegpt_escalations.json", json.dumps(items, ensure_ascii=False, indent=2) + "\n")
    return len(items)


# --------------------------------------------------------------------------------------------- 9. legacy archive (gz)

LEGACY_SYSTEM = "You are the Northwind Networks helpdesk assistant. Answer briefly and politely."
LEGACY = [
    ("Is the Classic R100 still getting security updates?",
     "The Classic R100 reached end of life in March 2025, so it no longer receives updates. We recommend replacing it "
     "with an NW-R200; R100 owners get 30% off with the code shown in the end-of-life e-mail."),
    ("The old dashboard at my.northwind-legacy.example asks me to migrate. Will my settings move over?",
     "Yes. The migration copies your devices, Wi-Fi names and passwords, port forwards and schedules to the new "
     "Admin Console. Usage history older than 90 days is not migrated."),
    ("What is the last order date for delivery before Christmas 2025?",
     "Order by 17 December 2025 for standard delivery, or 20 December with express shipping, to receive your order "
     "before Christmas."),
    ("The NW Connect app disappeared from the app store. What do I use now?",
     "NW Connect was replaced by the Northwind Home app in 2025. Install Northwind Home and sign in with the same "
     "account; your routers appear automatically."),
    ("Is there a Windows 7 driver for the NW-U50 USB Wi-Fi adapter?",
     "The NW-U50 supports Windows 10 and 11 only. Windows 7 drivers were discontinued in 2023."),
    ("How do I recycle my old router?",
     "Use the free recycling label under Orders > Recycle in your account, pack the router in any box, and drop it "
     "at a carrier point. We recycle it responsibly and send you a voucher worth €10."),
    ("Why are prices going up in April 2025?",
     "Higher component and energy costs led to an average 8% price increase on cloud plans from April 2025. Annual "
     "subscriptions keep their current price until renewal."),
    ("My smart plugs only support 2.4 GHz and won't join my network.",
     "Turn on 'Separate 2.4 GHz network' under Wireless, connect the smart plugs to that network, then switch the "
     "option off again if you like — most plugs stay connected."),
    ("Does the Black Friday promo code work on cloud plans?",
     "The Black Friday 2025 code applied to hardware only. Cloud plans had their own offer: two months free on "
     "annual Business plans bought before 1 December 2025."),
    ("Is the LDAP connector still supported?",
     "The legacy LDAP connector is supported until the end of 2025. After that, please switch to SAML single sign-on "
     "with SCIM provisioning, which covers the same use cases."),
]


def legacy_files() -> tuple[int, int]:
    lines = [dumps({"messages": [{"role": "system", "content": LEGACY_SYSTEM}, {"role": "user", "content": q},
                                 {"role": "assistant", "content": a}]}) for q, a in LEGACY]
    raw = "".join(line + "\n" for line in lines).encode("utf-8")
    buf = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buf, mtime=0) as gz:
        gz.write(raw)
    write_bytes("legacy/2025_archive.jsonl.gz", buf.getvalue())
    notes = [
        {"instruction": "Write a short price note for a customer in Zürich.", "input": "",
         "output": "Dear customer, the Beacon 6E costs 249 € (incl. VAT) – delivery to Zürich is free of charge."},
        {"instruction": "Translate the greeting into French.", "input": "Welcome to Northwind! Your café Wi-Fi is "
         "ready.", "output": "Bienvenue chez Northwind ! Le Wi-Fi de votre café est prêt – bonne journée."},
        {"instruction": "Summarise the refund note.", "input": "Refund of 39,90 € approved for order NW-118204 "
         "(Müller Bürobedarf).", "output": "A refund of 39,90 € for order NW-118204 was approved; the customer "
         "“Müller Bürobedarf” will see it within five days."},
    ]
    data = "".join(dumps(n) + "\n" for n in notes).encode("cp1252")
    try:
        data.decode("utf-8")
        raise AssertionError("cp1252 notes must not be valid UTF-8")
    except UnicodeDecodeError:
        pass
    write_bytes("legacy/notes_cp1252.jsonl", data)
    return len(lines), len(notes)


# --------------------------------------------------------------------------------------------- 11. KB article

KB = """# Returns and refunds policy

_Applies to Northwind Cloud hardware bought from northwind.example or the Northwind Home app. Last reviewed October 2026._

## Returning hardware you don't want

You can return any router, mesh node or accessory within **30 days** of delivery for a full refund, as long as it
is complete and undamaged. Opened devices are fine; we only ask that you factory-reset them first.

1. Open **Orders** in your account and choose **Return item** next to the product.
2. Print the prepaid label and pack the device in its original box or any sturdy box.
3. Drop the parcel at a carrier point. You'll get an e-mail when it reaches our warehouse.

## Faulty or damaged devices

- **Dead on arrival:** we ship a replacement as soon as the carrier scans your return parcel.
- **Damaged in transit:** send us a photo of the box and the device; the replacement ships immediately.
- **Fault within warranty (24 months):** support opens an RMA and sends a prepaid label.

## Refunds

Refunds go to the original payment method within five business days of the return arriving. Shipping costs are
refunded for faulty or damaged items, and for unwanted items returned within 14 days.

## Exceptions

Gift cards, cloud subscriptions and devices with physical damage caused after delivery are not covered by this
policy. Cloud plan refunds follow the subscription terms instead.
"""


def kb_file() -> int:
    write_text("kb/returns_policy.md", KB)
    return 1


# --------------------------------------------------------------------------------------------- README


def readme(counts: dict, chat_info: dict, ticket_info: dict) -> str:
    def pii_list(values: list[str]) -> str:
        return ", ".join(f"`{v}`" for v in values)

    total = sum(counts.values())
    return f"""# sample_data — Northwind Cloud support exports

This folder holds small, realistic raw exports from the support team of *Northwind Cloud*, a fictitious SaaS and
router company, in the formats `curate` reads (OpenAI chat JSONL with and without tool calls, a CSV ticket export,
Alpaca JSON, prompt/completion JSONL, preference pairs, a structured-output extraction set with its JSON Schema,
ShareGPT JSON, a gzipped legacy archive, a cp1252-encoded file and a Markdown article). It is generated by
`make_sample_data.py` (standard library only, `random.Random(7)`, no clocks, gzip `mtime=0`), so re-running it gives
byte-identical files. Problems are planted on purpose so that tests and demos can check that the pipeline catches
them. All companies, people, addresses, phone numbers, e-mail addresses and bank accounts are invented.

## Files

| File | Format | Records as stored |
|---|---|---|
| `support/chats_2026-10.jsonl` | OpenAI chat JSONL | {counts['chats']} lines (1 of them malformed) |
| `support/chats_tool_calls.jsonl` | OpenAI chat JSONL with `tools` / `tool_calls` / `tool` turns | {counts['tools']} lines |
| `tickets/tickets_export.csv` | CSV `ticket_id,created,text,label` (labels: {', '.join(f'{k} {v}' for k, v in sorted(ticket_info['labels'].items()))}) | {counts['tickets']} data rows + header |
| `instructions/faq_sheet.json` | Alpaca JSON array (`instruction`, `input`, `output`) | {counts['faq']} items |
| `instructions/style_guide.jsonl` | prompt/completion JSONL | {counts['style']} lines |
| `preferences/reply_pairs.jsonl` | preference JSONL (`prompt`, `chosen`, `rejected`) | {counts['prefs']} lines |
| `extraction/invoice_extraction.jsonl` | OpenAI chat JSONL; assistant replies are JSON strings | {counts['invoices']} lines |
| `extraction/invoice.schema.json` | JSON Schema draft 2020-12 for the extraction replies (`$id` `invoice.schema.json`) | schema, not training data |
| `escalations/sharegpt_escalations.json` | ShareGPT JSON array (`id`, `conversations` with `from`/`value`) | {counts['escalations']} items |
| `legacy/2025_archive.jsonl.gz` | gzipped OpenAI chat JSONL (older system prompt) | {counts['legacy']} lines |
| `legacy/notes_cp1252.jsonl` | Alpaca-style JSONL encoded in cp1252 (not valid UTF-8) | {counts['cp1252']} lines |
| `kb/returns_policy.md` | Markdown knowledge-base article | 1 text record |
| `make_sample_data.py` | the generator (not data) | — |

**Total input units: {total}** ({' + '.join(str(v) for v in counts.values())}: every JSONL line, CSV data row, JSON
array item and the Markdown file, including the two broken ones). A correct ingest stage rejects exactly two of them
as unreadable — `support/chats_2026-10.jsonl` line 30 (malformed JSON) and `tickets/tickets_export.csv` row
{MALFORMED_ROW} (5 fields, header has 4) — and keeps {total - 2}. Everything else planted below is well-formed at
ingest and is for later stages (dedup, PII redaction, validation) to catch. Non-data files: the default
`ingest.exclude` skips `README.md` and `extraction/invoice.schema.json`; `make_sample_data.py` is not a data
format, so `curate run sample_data` reports it as one file-level reject ("unsupported file type") unless it is
excluded — it is not counted among the input units above.

## Planted problems

JSONL lines are 1-based, JSON array indices 0-based, CSV rows are 1-based data rows (header excluded).

- `support/chats_2026-10.jsonl`
  - line 7 duplicates line 3 except for whitespace: in the first user message {chat_info['ws_change']} (same
    words, different whitespace).
  - line 12 is a byte-for-byte duplicate of line 5.
  - lines 20 and 21 are near duplicates of line 19 (first user message only): line 20 changes one word
    (`every evening around` → `every night around`); line 21 changes two words (`in the loft` → `in the attic`,
    `around 8pm` → `around 9pm`).
  - line 30 is malformed JSON: the object's closing brace is missing.
  - PII in user messages: line 4 (name, e-mail, +44 phone), line 9 (name, +49 phone, DE IBAN), line 15 (name,
    French phone, e-mail), line 23 (name, Spanish phone), line 27 (name, street address, e-mail), line 33 (name,
    FR IBAN), line 41 (name, e-mail), line 46 (name).
- `tickets/tickets_export.csv`
  - row {MALFORMED_ROW}: unquoted comma in the text gives 5 fields instead of 4.
  - rows {DUP_ROWS[0]} and {DUP_ROWS[1]}: identical `text` (and label), different ticket ids and dates:
    "{ticket_info['dup_text']}"
  - PII in rows {', '.join(str(r) for r in sorted(TICKET_PII))}.
- `instructions/faq_sheet.json`: index {10} is an exact duplicate of index {FAQ_DUP_OF}; index {FAQ_PLACEHOLDER}'s
  output contains the unfilled template placeholder `{{{{customer_name}}}}`.
- `preferences/reply_pairs.jsonl`: line 9 has `chosen` identical to `rejected`; line 14 has `chosen` = `""`.
- `extraction/invoice_extraction.jsonl`: line {INVALID_JSON_LINE}'s assistant reply is invalid JSON (trailing comma
  before `}}`); line {MISSING_TOTAL_LINE}'s reply is valid JSON but lacks the required `total`.
- `legacy/notes_cp1252.jsonl`: cp1252 bytes (é, ü, €, –, “ ”), valid only when decoded as cp1252.

## Planted PII (fictitious; none of these strings should survive redaction)

`support/chats_2026-10.jsonl`:

- names: {pii_list(PII_CHATS['names'])}
- e-mails: {pii_list(PII_CHATS['emails'])}
- phones: {pii_list(PII_CHATS['phones'])} (UK +44; German +49; French national 06; Spanish mobile without country
  code)
- IBANs (mod-97 valid): {pii_list(PII_CHATS['ibans'])} (DE with spaces, line 9; FR compact followed by
  " from now on", line 33)
- address: {pii_list(PII_CHATS['addresses'])}

`tickets/tickets_export.csv`:

- names: {pii_list(PII_TICKETS['names'])}
- e-mails: {pii_list(PII_TICKETS['emails'])}
- phones: {pii_list(PII_TICKETS['phones'])}

Other files hold no personal data: order numbers, serial numbers, account IDs (`acct_…`) and company names
are business identifiers.
"""


# --------------------------------------------------------------------------------------------- main


def main() -> None:
    chat_info = chats_file()
    counts = {"chats": 60}
    counts["tools"] = tool_calls_file()
    ticket_info = tickets_file()
    counts["tickets"] = 70
    counts["faq"] = faq_file()
    counts["style"] = style_file()
    counts["prefs"] = prefs_file()
    counts["invoices"] = invoice_file()
    counts["escalations"] = sharegpt_file()
    counts["legacy"], counts["cp1252"] = legacy_files()
    counts["kb"] = kb_file()
    write_text("README.md", readme(counts, chat_info, ticket_info))
    print(f"wrote {sum(counts.values())} input units into {HERE}: {counts}; "
          f"unused chat variants: {chat_info['unused_variants']}")


if __name__ == "__main__":
    main()
