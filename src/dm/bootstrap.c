/* SEC/MAC bootstrap security: HMAC-SHA1 keyed with NETWORKID, USERPIN or
 * "USERPIN:NETWORKID", carried as Content-Type parameters. */
#include <string.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "core/crypto.h"
#include "dm/bootstrap.h"
#include "dm/limits.h"
#include "core/banned.h"

static const char *const sec_names[] = {
	[DM_BOOT_SEC_NETWORKID] = "NETWORKID",
	[DM_BOOT_SEC_USERPIN] = "USERPIN",
	[DM_BOOT_SEC_USERPIN_NETWORKID] = "USERPIN_NETWORKID",
};

const char *dm_boot_sec_name(enum dm_boot_sec sec)
{
	return (unsigned)sec <= DM_BOOT_SEC_USERPIN_NETWORKID ? sec_names[sec] : "?";
}

enum mcx_err dm_boot_sec_parse(struct pl s, enum dm_boot_sec *sec)
{
	static const struct { const char *name; enum dm_boot_sec sec; } names[] = {
		{ "NETWORKID", DM_BOOT_SEC_NETWORKID }, { "NETWPIN", DM_BOOT_SEC_NETWORKID },
		{ "0", DM_BOOT_SEC_NETWORKID },
		{ "USERPIN", DM_BOOT_SEC_USERPIN }, { "1", DM_BOOT_SEC_USERPIN },
		{ "USERPIN_NETWORKID", DM_BOOT_SEC_USERPIN_NETWORKID },
		{ "USERNETWPIN", DM_BOOT_SEC_USERPIN_NETWORKID },
		{ "2", DM_BOOT_SEC_USERPIN_NETWORKID },
	};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (pl_eqcase(s, pl_str(names[i].name))) {
			*sec = names[i].sec;
			return MCX_OK;
		}
	}
	return MCX_EINVAL;
}

static bool secret_ok(const char *s)
{
	return s && *s && strlen(s) <= DM_BOOT_SECRET_MAX;
}

enum mcx_err dm_boot_key(enum dm_boot_sec sec, const char *netid, const char *pin,
			 struct mcx_buf *key)
{
	switch (sec) {
	case DM_BOOT_SEC_NETWORKID:
		return secret_ok(netid) ? buf_adds(key, netid) : MCX_EINVAL;
	case DM_BOOT_SEC_USERPIN:
		return secret_ok(pin) ? buf_adds(key, pin) : MCX_EINVAL;
	case DM_BOOT_SEC_USERPIN_NETWORKID:
		if (!secret_ok(pin) || !secret_ok(netid))
			return MCX_EINVAL;
		return buf_addf(key, "%s:%s", pin, netid);
	}
	return MCX_EINVAL;
}

enum mcx_err dm_boot_mac(enum dm_boot_sec sec, const char *netid, const char *pin,
			 const uint8_t *doc, size_t n, char mac[DM_BOOT_MAC_HEX])
{
	static const char hx[] = "0123456789ABCDEF";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	struct mcx_buf key;
	enum mcx_err err;
	unsigned i;

	buf_init(&key, 2 * DM_BOOT_SECRET_MAX + 1);
	err = dm_boot_key(sec, netid, pin, &key);
	if (!err && !HMAC(EVP_sha1(), key.p, (int)key.len, doc, n, md, &mdlen))
		err = MCX_EINTERNAL;
	if (!err && mdlen != 20)
		err = MCX_EINTERNAL;
	for (i = 0; !err && i < 20; i++) {
		mac[2 * i] = hx[md[i] >> 4];
		mac[2 * i + 1] = hx[md[i] & 15];
	}
	if (!err)
		mac[40] = '\0';
	buf_reset(&key);
	return err;
}

enum mcx_err dm_boot_ctype(enum dm_boot_sec sec, const char *netid, const char *pin,
			   const uint8_t *doc, size_t n, struct mcx_buf *out)
{
	char mac[DM_BOOT_MAC_HEX];
	enum mcx_err err = dm_boot_mac(sec, netid, pin, doc, n, mac);

	if (!err)
		err = buf_addf(out, "%s; SEC=%s; MAC=%s", DM_BOOT_MIME, dm_boot_sec_name(sec), mac);
	return err;
}

static bool ws(char c)
{
	return c == ' ' || c == '\t';
}

/* Next ";"-separated parameter: name and value (quotes removed). */
static bool next_param(const char *s, size_t n, size_t *i, struct pl *name, struct pl *val)
{
	size_t k = *i, b;

	while (k < n && (ws(s[k]) || s[k] == ';'))
		k++;
	if (k >= n)
		return false;
	for (b = k; k < n && s[k] != '=' && s[k] != ';'; k++)
		;
	*name = pl_trim(pl_make(s + b, k - b));
	*val = pl_make(NULL, 0);
	if (k < n && s[k] == '=') {
		for (b = ++k; k < n && s[k] != ';'; k++)
			;
		*val = pl_trim(pl_make(s + b, k - b));
		if (val->l >= 2 && val->p[0] == '"' && val->p[val->l - 1] == '"')
			*val = pl_make(val->p + 1, val->l - 2);
	}
	*i = k;
	return true;
}

static bool hex40(struct pl v)
{
	size_t i;

	if (v.l != 40)
		return false;
	for (i = 0; i < 40; i++) {
		char c = v.p[i];

		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')))
			return false;
	}
	return true;
}

enum mcx_err dm_boot_ct_parse(const char *s, size_t n, struct dm_boot_ct *ct)
{
	const char *semi;
	struct pl name, val, sec = { NULL, 0 };
	size_t i;

	memset(ct, 0, sizeof(*ct));
	if (n > DM_BOOT_CTYPE_MAX)
		return MCX_EINVAL;
	semi = memchr(s, ';', n);
	ct->mime = pl_trim(pl_make(s, semi ? (size_t)(semi - s) : n));
	if (!pl_eqcase(ct->mime, PL(DM_BOOT_MIME)) && !pl_eqcase(ct->mime, PL(DM_BOOT_CP_MIME)))
		return MCX_EINVAL;
	for (i = ct->mime.l + (size_t)(ct->mime.p - s); next_param(s, n, &i, &name, &val);) {
		struct pl *slot = pl_eqcase(name, PL("SEC")) ? &sec
				: pl_eqcase(name, PL("MAC")) ? &ct->mac : NULL;

		if (slot && slot->p)
			return MCX_EINVAL;
		if (slot)
			*slot = val.p ? val : PL("");
	}
	if (!sec.p && !ct->mac.p)
		return MCX_ENOENT;
	if (!sec.p || !ct->mac.p || !hex40(ct->mac))
		return MCX_EINVAL;
	return dm_boot_sec_parse(sec, &ct->sec);
}

enum mcx_err dm_boot_verify(const char *ctype, size_t clen, const uint8_t *doc, size_t n,
			    const char *netid, const char *pin)
{
	struct dm_boot_ct ct;
	char mac[DM_BOOT_MAC_HEX], got[DM_BOOT_MAC_HEX];
	enum mcx_err err = dm_boot_ct_parse(ctype, clen, &ct);
	size_t i;

	if (err)
		return err;
	err = dm_boot_mac(ct.sec, netid, pin, doc, n, mac);
	if (err)
		return err == MCX_EINVAL ? MCX_EAUTH : err;	/* we lack that secret */
	for (i = 0; i < 40; i++)	/* hex digits in either case */
		got[i] = ct.mac.p[i] >= 'a' ? (char)(ct.mac.p[i] - 'a' + 'A') : ct.mac.p[i];
	return crypto_eq(mac, got, 40) ? MCX_OK : MCX_EAUTH;
}
