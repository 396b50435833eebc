#compdef embargod

__embargod_complete() {
    local -ar non_empty_completions=("${@:#(|:*)}")
    local -ar empty_completions=("${(M)@:#(|:*)}")
    _describe -V '' non_empty_completions -- empty_completions -P $'\'\''
}

__embargod_custom_complete() {
    local -a completions
    completions=("${(@f)"$("${command_name}" "${@}" "${command_line[@]}")"}")
    if [[ "${#completions[@]}" -gt 1 ]]; then
        __embargod_complete "${completions[@]:0:-1}"
    fi
}

__embargod_cursor_index_in_current_word() {
    if [[ -z "${QIPREFIX}${IPREFIX}${PREFIX}" ]]; then
        printf 0
    else
        printf %s "${#${(z)LBUFFER}[-1]}"
    fi
}

_embargod() {
    emulate -RL zsh -G
    setopt extendedglob nullglob numericglobsort
    unsetopt aliases banghist

    local -xr SAP_SHELL=zsh
    local -x SAP_SHELL_VERSION
    SAP_SHELL_VERSION="$(builtin emulate zsh -c 'printf %s "${ZSH_VERSION}"')"
    local -r SAP_SHELL_VERSION

    local context state state_descr line
    local -A opt_args

    local -r command_name="${words[1]}"
    local -ar command_line=("${words[@]}")
    local -ir current_word_index="$((CURRENT - 1))"

    local -i ret=1
    local -ar arg_specs=(
        '--config[The configuration file (default /etc/embargo/embargod.conf, if present).]:file:'
        '--root[The root to watch and scan (default /).]:dir:'
        '*--policy[A policy file or directory, added to the bundled ones and the configuration'\''s. Repeatable.]:path:'
        '--no-bundled-policies[Load only the --policy paths and the configuration'\''s.]'
        '--profile[The profile to judge against (default\: the policies'\'' default).]:name:'
        '--state-directory[Where the state database lives (default\: $STATE_DIRECTORY, else /var/lib/embargo).]:dir:'
        '--scan-interval[Time between full scans, e.g. 6h, 30m.]:duration:'
        '--rescan-delay[Quiet time after a package database change before the rescan, e.g. 2s.]:duration:'
        '--once[Scan once, log, and exit\: 0 no violation, 1 a violation, 2 failure.]'
        '--check-config[Check the configuration file and the policies, print the settings, and exit.]'
        '--version[Show the version.]'
        '(-h --help)'{-h,--help}'[Show help information.]'
        '(-): :->command'
        '(-)*:: :->arg'
    )
    _arguments -w -s -S : "${arg_specs[@]}" && ret=0
    case "${state}" in
    command)
        local -ar subcommands=(
            'help:Show subcommand help information.'
        )
        _describe -V subcommand subcommands && ret=0
        ;;
    arg)
        case "${words[1]}" in
        help)
            "_embargod_${words[1]}" && ret=0
            ;;
        esac
        ;;
    esac

    return "${ret}"
}

_embargod_help() {
    local -i ret=1
    local -ar arg_specs=(
        '*:subcommands:'
        '--version[Show the version.]'
    )
    _arguments -w -s -S : "${arg_specs[@]}" && ret=0

    return "${ret}"
}

if [[ "${funcstack[1]}" = _embargod ]]; then
    _embargod "${@}"
else
    compdef _embargod embargod
fi
