namespace KvmStor.IntegrationTests.Cockpit;

/// <summary>JavaScript helpers the pass installs into every document of the page, and quoting for expressions.</summary>
internal static class PageJs
{
    /// <summary>
    /// React owns the inputs: a value is set through the native setter and announced with an input/change event.
    /// A file-path typeahead takes a typed path only when the user picks it from its list ($pick clicks the option, opening
    /// the list if it is closed). $field finds a dialog's control by its label (its `for` target, else the first control of the label's form group,
    /// which is how the file-path typeaheads are reached).
    /// </summary>
    public const string Helpers = """
        window.$q = s => document.querySelector(s);
        window.$id = s => document.getElementById(s);
        window.$btn = (t, root) => [...(root || document).querySelectorAll('button')].find(b => b.textContent.trim() === t);
        window.$set = (el, v) => {
          const proto = el.tagName === 'SELECT' ? HTMLSelectElement.prototype : HTMLInputElement.prototype;
          Object.getOwnPropertyDescriptor(proto, 'value').set.call(el, v);
          el.dispatchEvent(new Event(el.tagName === 'SELECT' ? 'change' : 'input', {bubbles: true}));
          return true;
        };
        window.$field = (root, label) => {
          const l = [...root.querySelectorAll('label')].find(l => l.textContent.trim() === label);
          if (!l) throw new Error('no field labelled ' + label);
          const direct = l.htmlFor && document.getElementById(l.htmlFor);
          if (direct && (direct.tagName === 'INPUT' || direct.tagName === 'SELECT')) return direct;
          return l.closest('.pf-c-form__group').querySelector('input, select');
        };
        window.$pick = (input, path) => {
          const select = input.closest('.pf-c-select');
          const option = [...document.querySelectorAll('.pf-c-select__menu-item')]
            .find(o => o.textContent.trim() === path || o.textContent.trim() === path + '/');
          if (option) { option.click(); return true; }
          if (!document.querySelector('.pf-c-select__menu') && !select.dataset.kvmstorOpened) {
            select.dataset.kvmstorOpened = '1';
            select.querySelector('button.pf-c-select__toggle-button').click();
          }
          return false;
        };
        window.$row = pool => document.querySelector(`tr[data-row-id="pool-${pool}-system"]`);
        window.$flat = t => t.replace(/\s+/g, ' ').trim();
        """;

    /// <summary>A JavaScript string literal.</summary>
    public static string Str(string text) => System.Text.Json.JsonSerializer.Serialize(text);
}
