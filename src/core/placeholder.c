/* placeholder: keeps the module library non-empty */
typedef int ar__core_placeholder;
