/* Variant C of the op templates (see ops_body.h). */
#define CJ_VARIANT C
#include "ops_body.h"
