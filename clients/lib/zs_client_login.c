/* zs_client_login.c: logging in with a name and password (zs.identity.v1.Identity/Login)
 * and keeping the session as the client's default, so that one login serves every call. */
#include <stdio.h>
#include <string.h>

#include "zs/identity/v1/identity.zsc.h"
#include "zs_client_internal.h"

int
zs_client_login(zs_client *client, const char *name, const char *password,
    zs_status **status, const zs_call_opts *opts)
{
	zs_status *st = NULL;
	if (status != NULL)
		*status = NULL;
	if (client == NULL || name == NULL || password == NULL) {
		st = zs_client_status_new(ZS_CLIENT_INTERNAL, "zs_client_login: client, name and "
		    "password are needed");
		if (status != NULL)
			*status = st;
		else
			zs_status_free(st);
		return ZS_CLIENT_INTERNAL;
	}
	Zs__Identity__V1__LoginRequest req = ZS__IDENTITY__V1__LOGIN_REQUEST__INIT;
	req.name = (char *) name;
	req.password = (char *) password;
	Zs__Identity__V1__LoginResponse *reply = NULL;
	int code = zs_identity_v1_identity_login(client, &req, &reply, &st, opts);
	if (code == ZS_CLIENT_OK) {
		code = zs_client_set_session(client, reply->session);
		if (code != ZS_CLIENT_OK)
			st = zs_client_status_new(code, "out of memory keeping the session");
		zs_reply_free(reply);
	}
	if (status != NULL)
		*status = st;
	else
		zs_status_free(st);
	return code;
}
