/* Variant B of the op templates (see ops_body.h). */
#define CJ_VARIANT B
#include "ops_body.h"
