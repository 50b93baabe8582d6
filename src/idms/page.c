/* The IdMS HTML pages: the login form (accessible HTML5, no script, no external resources) and the error page. */
#include <string.h>

#include "core/mem.h"
#include "idms/idms_int.h"
#include "core/banned.h"

/* The OAuth parameters the login form carries back. */
static const char *const carried[] = { "response_type", "client_id", "redirect_uri", "scope",
	"state", "nonce", "code_challenge", "code_challenge_method" };

static const char style[] =
	"<style>"
	"body{font-family:system-ui,sans-serif;margin:0;background:#f4f5f7;color:#1b1e23}"
	"main{max-width:26rem;margin:3rem auto;background:#fff;padding:2rem;border-radius:.5rem;"
	"box-shadow:0 1px 4px rgba(0,0,0,.15)}"
	"h1{font-size:1.5rem;margin-top:0}"
	"label{display:block;font-weight:600;margin-top:1rem}"
	"input[type=text],input[type=password]{box-sizing:border-box;width:100%;padding:.6rem;"
	"font-size:1rem;border:1px solid #6b7280;border-radius:.3rem}"
	"input:focus,button:focus{outline:3px solid #1d4ed8;outline-offset:2px}"
	".hint{color:#4b5563;font-size:.9rem;margin:.25rem 0 0}"
	"button{margin-top:1.5rem;width:100%;padding:.7rem;font-size:1rem;font-weight:600;"
	"color:#fff;background:#1d4ed8;border:0;border-radius:.3rem;cursor:pointer}"
	"[role=alert]{background:#fef2f2;border:1px solid #b91c1c;color:#7f1d1d;padding:.75rem;"
	"border-radius:.3rem}"
	"</style>";

static enum mcx_err esc(struct mcx_buf *b, const char *s)
{
	return buf_add_xml(b, s, strlen(s));
}

static void html_headers(struct idms_response *rs)
{
	rs->no_store = true;
	resp_header(rs, "Content-Security-Policy",
		    "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; "
		    "base-uri 'none'");
	resp_header(rs, "X-Frame-Options", "DENY");
	resp_header(rs, "Referrer-Policy", "no-referrer");
}

static enum mcx_err head(struct mcx_buf *b, const char *title)
{
	enum mcx_err err;

	err = buf_adds(b, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
		       "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
		       "<title>");
	if (!err)
		err = esc(b, title);
	if (!err)
		err = buf_addf(b, "</title>\n%s\n</head>\n<body>\n<main>\n<h1>", style);
	if (!err)
		err = esc(b, title);
	if (!err)
		err = buf_adds(b, "</h1>\n");
	return err;
}

static enum mcx_err alert(struct mcx_buf *b, const char *text)
{
	enum mcx_err err;

	if (!text)
		return MCX_OK;
	err = buf_adds(b, "<p role=\"alert\" id=\"alert\">");
	if (!err)
		err = esc(b, text);
	if (!err)
		err = buf_adds(b, "</p>\n");
	return err;
}

static enum mcx_err scope_list(struct mcx_buf *b, const char *client_id, unsigned scopes)
{
	enum mcx_err err;
	unsigned bit;

	err = buf_adds(b, "<p>The application <strong>");
	if (!err)
		err = esc(b, client_id);
	if (!err)
		err = buf_adds(b, "</strong> asks to use, on your behalf:</p>\n<ul>\n");
	for (bit = 1; !err && bit <= SCOPE_KMS; bit <<= 1) {
		if (!(scopes & bit))
			continue;
		err = buf_adds(b, "<li>");
		if (!err)
			err = esc(b, scope_label(bit));
		if (!err)
			err = buf_adds(b, "</li>\n");
	}
	if (!err)
		err = buf_adds(b, "</ul>\n");
	return err;
}

static enum mcx_err hidden(struct mcx_buf *b, const struct idms_form *params)
{
	enum mcx_err err = MCX_OK;
	size_t k;

	for (k = 0; !err && k < sizeof(carried) / sizeof(carried[0]); k++) {
		const char *v = form_get(params, carried[k]);

		if (!v)
			continue;
		err = buf_addf(b, "<input type=\"hidden\" name=\"%s\" value=\"", carried[k]);
		if (!err)
			err = esc(b, v);
		if (!err)
			err = buf_adds(b, "\">\n");
	}
	return err;
}

static enum mcx_err fields(struct mcx_buf *b, const char *username, bool has_alert)
{
	const char *described = has_alert ? "username-hint alert" : "username-hint";
	enum mcx_err err;

	err = buf_addf(b, "<label for=\"username\">MCPTT ID</label>\n"
		       "<input type=\"text\" id=\"username\" name=\"username\" required "
		       "autocomplete=\"username\" autocapitalize=\"none\" spellcheck=\"false\" "
		       "inputmode=\"email\" maxlength=\"%d\" aria-describedby=\"%s\"%s value=\"",
		       IDMS_USERNAME_MAX, described, has_alert ? " aria-invalid=\"true\"" : "");
	if (!err)
		err = esc(b, username ? username : "");
	if (!err)
		err = buf_addf(b, "\">\n<p class=\"hint\" id=\"username-hint\">For example "
			       "sip:alice@example.org, alice@example.org or alice</p>\n"
			       "<label for=\"password\">Password</label>\n"
			       "<input type=\"password\" id=\"password\" name=\"password\" required "
			       "autocomplete=\"current-password\" maxlength=\"%d\">\n"
			       "<button type=\"submit\">Sign in</button>\n", IDMS_PW_MAX);
	return err;
}

static enum mcx_err login_body(struct idms *i, struct mcx_buf *b, const struct login_page *lp)
{
	enum mcx_err err;

	err = head(b, "Sign in to MCPTT");
	if (!err)
		err = alert(b, lp->alert);
	if (!err)
		err = scope_list(b, lp->client_id, lp->scopes);
	if (!err)
		err = buf_adds(b, "<form method=\"post\" action=\"");
	if (!err)
		err = esc(b, i->conf.issuer);
	if (!err)
		err = buf_adds(b, "/authorize\">\n");
	if (!err)
		err = hidden(b, lp->params);
	if (!err)
		err = fields(b, lp->username, lp->alert != NULL);
	if (!err)
		err = buf_adds(b, "</form>\n</main>\n</body>\n</html>\n");
	return err;
}

void page_login(struct idms *i, struct idms_response *rs, int status, const struct login_page *lp)
{
	struct mcx_buf b;
	enum mcx_err err;

	buf_init(&b, IDMS_BODY_MAX);
	err = login_body(i, &b, lp);
	if (err) {
		buf_reset(&b);
		resp_fail(rs, err);
		return;
	}
	resp_text(rs, status, "text/html; charset=utf-8", b.p);
	buf_reset(&b);
	html_headers(rs);
}

void page_error(struct idms_response *rs, int status, const char *title, const char *text)
{
	struct mcx_buf b;
	enum mcx_err err;

	buf_init(&b, IDMS_BODY_MAX);
	err = head(&b, title);
	if (!err)
		err = alert(&b, text);
	if (!err)
		err = buf_adds(&b, "<p>The application that sent you here made a request this "
			       "server cannot accept. Nothing was sent back to it. Close this page "
			       "and contact the application's provider if this keeps happening.</p>\n"
			       "</main>\n</body>\n</html>\n");
	if (err) {
		buf_reset(&b);
		resp_fail(rs, err);
		return;
	}
	resp_text(rs, status, "text/html; charset=utf-8", b.p);
	buf_reset(&b);
	html_headers(rs);
}
