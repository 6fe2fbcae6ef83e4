# bash completion for kvmtune(8)                          -*- shell-script -*-
# Commands, options, section names for --only (a comma-separated list),
# device names for --device (from /sys/block and /sys/class/net, under
# --root DIR when the line has one), files and directories where an option
# takes them.  Options and section names are read from `kvmtune --help`, so
# they follow the binary being completed; the lists below are the fallback.
# Needs nothing from the bash-completion package.  compgen's words are
# read with mapfile, one per line (shellcheck SC2207).

_kvmtune_commands="apply plan verify cat-config revert import"
_kvmtune_options_fallback="--root --config-dir --config --only --device --stage --json --metrics --quiet --verbose --help --version"
_kvmtune_sections_fallback="hugepages modules sysctl conntrack ksm thp hugetlbfs block netdev module cpu isolation cmdline"

# the binary on the command line, when it can be run
_kvmtune_bin()
{
    local bin=${COMP_WORDS[0]}
    bin=${bin/#\~/$HOME}
    if [[ $bin == */* ]]; then
        [[ -x $bin && ! -d $bin ]] && printf '%s\n' "$bin"
    else
        type -P -- "$bin"
    fi
}

_kvmtune_help()
{
    local bin
    bin=$(_kvmtune_bin) || return 1
    [[ -n $bin ]] || return 1
    LC_ALL=C "$bin" --help 2>/dev/null
}

_kvmtune_options()
{
    local opts
    opts=$(_kvmtune_help | grep -o -- '--[a-z][a-z0-9-]*' | sort -u)
    printf '%s\n' "${opts:-$_kvmtune_options_fallback}"
}

_kvmtune_sections()
{
    local s
    s=$(_kvmtune_help | sed -n 's/^Sections: *//p')
    printf '%s\n' "${s:-$_kvmtune_sections_fallback}"
}

# devices under the root given on the line (--root DIR / --root=DIR), else /
_kvmtune_devices()
{
    local root='' i w d
    for ((i = 1; i < COMP_CWORD; i++)); do
        w=${COMP_WORDS[i]}
        if [[ $w == --root ]]; then
            if [[ ${COMP_WORDS[i+1]} == = ]]; then root=${COMP_WORDS[i+2]}; else root=${COMP_WORDS[i+1]}; fi
        elif [[ $w == --root=* ]]; then
            root=${w#--root=}
        fi
    done
    root=${root/#\~/$HOME}
    for d in "$root"/sys/block/* "$root"/sys/class/net/*; do
        [[ -e $d || -L $d ]] && printf '%s\n' "${d##*/}"
    done
}

# complete the value of option $1 from word $2
_kvmtune_value()
{
    local opt=$1 cur=$2 prefix last
    case $opt in
    --root|--config-dir)
        local IFS=$'\n'
        compopt -o filenames 2>/dev/null
        mapfile -t COMPREPLY < <(compgen -d -- "$cur") ;;
    --config|--metrics)
        local IFS=$'\n'
        compopt -o filenames 2>/dev/null
        mapfile -t COMPREPLY < <(compgen -f -- "$cur") ;;
    --stage)
        mapfile -t COMPREPLY < <(compgen -W "initrd boot" -- "$cur") ;;
    --device)
        local IFS=$'\n'
        mapfile -t COMPREPLY < <(compgen -W "$(_kvmtune_devices)" -- "$cur") ;;
    --only)
        # a comma-separated list: complete the last name, keep the ones before
        if [[ $cur == *,* ]]; then prefix=${cur%,*},; last=${cur##*,}; else prefix=''; last=$cur; fi
        mapfile -t COMPREPLY < <(compgen -P "$prefix" -W "$(_kvmtune_sections)" -- "$last")
        [[ ${#COMPREPLY[@]} == 1 ]] && compopt -o nospace 2>/dev/null
        ;;
    *)
        return 1 ;;
    esac
    return 0
}

_kvmtune()
{
    local cur=${COMP_WORDS[COMP_CWORD]} prev='' prev2='' i w cmd=''
    ((COMP_CWORD > 0)) && prev=${COMP_WORDS[COMP_CWORD-1]}
    ((COMP_CWORD > 1)) && prev2=${COMP_WORDS[COMP_CWORD-2]}
    COMPREPLY=()

    # --opt=VALUE: split by bash at '=' (COMP_WORDBREAKS) or not
    if [[ $cur == = && $prev == --* ]]; then
        _kvmtune_value "$prev" "" && return 0
    elif [[ $prev == = && $prev2 == --* ]]; then
        _kvmtune_value "$prev2" "$cur" && return 0
    elif [[ $cur == --*=* ]]; then
        local opt=${cur%%=*}
        if _kvmtune_value "$opt" "${cur#*=}"; then
            COMPREPLY=("${COMPREPLY[@]/#/$opt=}")
            return 0
        fi
    elif [[ $prev == --* ]]; then
        _kvmtune_value "$prev" "$cur" && return 0
    fi

    # the command given so far (an option's value is not one)
    for ((i = 1; i < COMP_CWORD; i++)); do
        w=${COMP_WORDS[i]}
        case $w in
        --root|--config-dir|--config|--only|--device|--stage|--metrics)
            [[ ${COMP_WORDS[i+1]} == = ]] && ((i++)); ((i++)) ;;
        -*) ;;
        *) [[ " $_kvmtune_commands " == *" $w "* ]] && { cmd=$w; break; } ;;
        esac
    done

    if [[ $cur == -* ]]; then
        mapfile -t COMPREPLY < <(compgen -W "$(_kvmtune_options) -q -v -h" -- "$cur")
    elif [[ $cmd == import ]]; then
        local IFS=$'\n'
        compopt -o filenames 2>/dev/null
        mapfile -t COMPREPLY < <(compgen -f -- "$cur")
    elif [[ -z $cmd ]]; then
        mapfile -t COMPREPLY < <(compgen -W "$_kvmtune_commands" -- "$cur")
    fi
    return 0
}
complete -F _kvmtune kvmtune
