/* zs_reflection.h: the node's own zs.reflection.v1.Reflection service. */
#ifndef ZS_REFLECTION_H
#define ZS_REFLECTION_H

#include "zs/reflection/v1/reflection.pb-c.h"

void zs_reflection_init(Zs__Reflection__V1__Reflection_Service *svc);

#endif
