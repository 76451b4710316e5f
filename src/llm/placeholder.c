/* placeholder: keeps the module library non-empty */
typedef int ar__llm_placeholder;
